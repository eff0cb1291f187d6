/**
 * The checker protocol (DESIGN.md section 4): what a checker is asked and what it answers, as
 * plain JSON, the same for a local command, a Job and an HTTP service. Parsing happens here, at
 * the edge, and returns errors as values: a checker that misbehaves is expected, not a bug.
 * The one source of these types: the controller imports them from this package.
 */

/** One partition to check: its key, its values, and the Expectation's params rendered for it. */
export interface CheckerPartition {
  /** Hive-style and stable, e.g. `date=2026-01-01/campaign=1`; empty for an unpartitioned Expectation. */
  key: string;
  values: Record<string, string>;
  /** The params with this partition's `{{key}}` placeholders substituted. */
  params: Record<string, string>;
}

/** The request a checker reads (a command: on stdin). */
export interface CheckerRequest {
  expectation: { namespace: string; name: string };
  /** The params as declared (StateChecker defaults merged under the Expectation's), not rendered. */
  params: Record<string, string>;
  partitions: CheckerPartition[];
}

export type CheckerState = 'satisfied' | 'unsatisfied' | 'unrecoverable';

/** One partition's verdict. */
export interface CheckerResult {
  key: string;
  state: CheckerState;
  message?: string;
}

/** What a checker answers (a command: on stdout). A partition it leaves out stays unknown. */
export interface CheckerVerdict {
  results: CheckerResult[];
}

/** A checker's output larger than this fails the whole batch: verdicts are small. */
export const MAX_VERDICT_BYTES = 1024 * 1024;
/** Messages are cut to this length, as statuses keep them. */
export const MAX_MESSAGE_LENGTH = 1024;

/** Reasons a whole batch gets no verdict; the same words as the engine's Unknown reasons. */
export const CheckFailure = {
  CheckerFailed: 'CheckerFailed',
  CheckerTimeout: 'CheckerTimeout',
} as const;
export type CheckFailure = (typeof CheckFailure)[keyof typeof CheckFailure];

export type ParsedVerdict =
  | {
      ok: true;
      /** The verdicts, by partition key, for the keys that were asked. */
      results: Map<string, { state: CheckerState; message?: string }>;
      /** Keys asked but not answered: they stay unknown. */
      missing: string[];
      /** Keys answered but not asked: ignored. */
      unexpected: string[];
    }
  | { ok: false; reason: CheckFailure; message: string };

const STATES: ReadonlySet<string> = new Set(['satisfied', 'unsatisfied', 'unrecoverable']);

const fail = (message: string): ParsedVerdict => ({ ok: false, reason: CheckFailure.CheckerFailed, message });

/**
 * Parses a checker's output against the keys it was asked about. Malformed or oversized output
 * fails the whole batch (CheckerFailed, with the reason); missing results are not an error.
 * A key answered twice is malformed, whatever the two answers say.
 */
export function parseVerdict(output: string | Uint8Array, asked: readonly string[]): ParsedVerdict {
  const size = typeof output === 'string' ? Buffer.byteLength(output) : output.byteLength;
  if (size > MAX_VERDICT_BYTES) return fail(`the verdict is ${size} bytes, more than ${MAX_VERDICT_BYTES}`);
  const text = typeof output === 'string' ? output : Buffer.from(output).toString('utf8');
  if (text.trim() === '') return fail('the checker printed no verdict');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`the verdict is not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(json) || !Array.isArray(json.results)) return fail('the verdict must be an object with a results list');

  const wanted = new Set(asked);
  const results = new Map<string, { state: CheckerState; message?: string }>();
  const seen = new Set<string>();
  const unexpected: string[] = [];
  for (const [i, item] of json.results.entries()) {
    if (!isRecord(item)) return fail(`results[${i}] must be an object`);
    const { key, state, message } = item;
    if (typeof key !== 'string') return fail(`results[${i}].key must be a string`);
    if (typeof state !== 'string' || !STATES.has(state)) return fail(`results[${i}].state must be satisfied, unsatisfied or unrecoverable, not ${JSON.stringify(state)}`);
    if (message !== undefined && typeof message !== 'string') return fail(`results[${i}].message must be a string`);
    if (seen.has(key)) return fail(`results[${i}]: partition ${JSON.stringify(key)} is answered twice`);
    seen.add(key);
    if (!wanted.has(key)) {
      unexpected.push(key);
      continue;
    }
    results.set(key, { state: state as CheckerState, ...(message !== undefined && message !== '' ? { message: message.slice(0, MAX_MESSAGE_LENGTH) } : {}) });
  }
  const missing = asked.filter((k) => !results.has(k));
  return { ok: true, results, missing, unexpected };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
