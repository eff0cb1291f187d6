import type { NodeRecord } from './model.js';
import type { EngineEvent, OwnerRef, Phase } from './types.js';

interface Transition {
  owner: OwnerRef;
  count: number;
  first: NodeRecord;
  message: string;
}

/**
 * Partitions that went into a checker failure (Unknown: CheckerFailed, CheckerTimeout, NoVerdict)
 * or came out of one during a pass, summed up as one Event per owner and reason: a checker down
 * for 365,000 partitions is one Warning, not 365,000. A check that fails again for a partition
 * already failing is no transition, so no Event.
 */
export class CheckerTransitions {
  private readonly into = new Map<string, Transition & { reason: string }>();
  private readonly out = new Map<string, Transition & { phase: Phase }>();

  failed(node: NodeRecord, reason: string, message: string): void {
    const key = `${node.owner.key}|${reason}`;
    const seen = this.into.get(key);
    if (seen !== undefined) seen.count++;
    else this.into.set(key, { owner: node.owner.ref, count: 1, first: node, message, reason });
  }

  recovered(node: NodeRecord, phase: Phase): void {
    const seen = this.out.get(node.owner.key);
    if (seen !== undefined) seen.count++;
    else this.out.set(node.owner.key, { owner: node.owner.ref, count: 1, first: node, message: node.message, phase });
  }

  /**
   * Warnings (reason: the partitions' own) for those that went in, one CheckerRecovered per owner
   * for those that came out; each names its first partition (the Event and the log line carry it).
   */
  events(): EngineEvent[] {
    const events: EngineEvent[] = [];
    for (const t of this.into.values()) {
      events.push(eventOf(t, 'Warning', t.reason, `no verdict: ${t.message}${more(t.count)}`));
    }
    for (const t of this.out.values()) {
      events.push(eventOf(t, 'Normal', 'CheckerRecovered', `the checker gives a verdict again (${t.phase})${more(t.count)}`));
    }
    return events;
  }
}

const more = (count: number): string => (count > 1 ? `; and ${count - 1} more partition${count > 2 ? 's' : ''}` : '');

function eventOf(t: Transition, type: EngineEvent['type'], reason: string, message: string): EngineEvent {
  const e: EngineEvent = { owner: t.owner, node: t.first.id, type, reason, message: message.slice(0, 1024) };
  if (t.first.partition !== '') e.partition = t.first.partition;
  return e;
}
