import type { ParsedVerdict } from '../checkers/protocol.js';
import type { CheckRequest } from '../engine/index.js';
import type { CheckAnswer } from './ports.js';

/** How a check ended: why the whole batch failed, or the parsed verdict. */
export type CheckOutcome = { reason: string; message: string } | Extract<ParsedVerdict, { ok: true }>;

/** The answer to a request from how its check ended, with partitions mapped back to their nodes. */
export function answerFor(request: CheckRequest, outcome: CheckOutcome): CheckAnswer {
  if ('reason' in outcome) return { request, failure: outcome };
  const nodeOf = new Map(request.items.map((i) => [i.partition, i.node]));
  const verdicts = [...outcome.results].map(([k, r]) => ({ node: nodeOf.get(k) as string, verdict: r.state, ...(r.message !== undefined ? { message: r.message } : {}) }));
  return { request, verdicts, unanswered: outcome.missing.map((k) => nodeOf.get(k) as string) };
}
