/** An object's recent Events, newest first, as `kubectl describe` lists them (type, reason, age, message). */
import type { RecentEvent } from './api.js';
import { h, section } from './dom.js';

export function eventsList(events: RecentEvent[] | undefined, notes: string[] | undefined): HTMLElement {
  const s = section('Recent events', 'Recent events');
  for (const note of notes ?? []) if (note.includes('Events')) s.append(h('p', note, 'hint'));
  if (events === undefined) return s;
  if (events.length === 0) {
    s.append(h('p', 'no events', 'hint'));
    return s;
  }
  const ul = h('ul', undefined, 'events');
  for (const e of events) {
    const li = h('li', undefined, `event event-${e.type}`);
    // Seconds are enough to read an order of events; the full time is in the title.
    const when = h('time', e.time.replace('T', ' ').replace(/(\d{2}:\d{2}:\d{2})\.\d+/, '$1'));
    when.title = e.time;
    when.dateTime = e.time;
    li.append(when, ' ', h('strong', `${e.type} ${e.reason}`), e.count > 1 ? ` (x${e.count})` : '', h('div', e.message, 'message'));
    ul.append(li);
  }
  s.append(ul);
  return s;
}
