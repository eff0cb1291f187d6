/**
 * The checker SDK: a checker image (or an embedded-mode command) in a few lines.
 *
 *   import { runChecker } from '@homeostat/checker-sdk';
 *   await runChecker(async (partition, params) => ((await exists(params.path)) ? 'satisfied' : 'unsatisfied'));
 *
 * The request comes from HOMEOSTAT_REQUEST (Job mode) or stdin (embedded mode). The function runs
 * once per partition, a few at a time; what it returns is that partition's verdict, and a
 * partition whose function throws is left unknown (the error goes to stderr). The JSON verdict
 * goes to stdout; in a Job the compact verdict (compactVerdict.ts) also goes to
 * /dev/termination-log, where the controller reads it. If every partition throws, or the request
 * is unreadable, the checker exits 1 and the whole batch fails (CheckerFailed) with its stderr.
 */
import { accessSync, constants, writeFileSync } from 'node:fs';
import { encodeCompactVerdict } from './compactVerdict.js';
import type { CheckerPartition, CheckerRequest, CheckerResult, CheckerState, CheckerVerdict } from './protocol.js';

/** A partition's verdict: a state, or a state with a message (say why when it is unrecoverable). undefined: unknown. */
export type CheckOutcome = 'satisfied' | 'unsatisfied' | { state: CheckerState; message?: string } | undefined;

/** Checks one partition: `params` are the Expectation's params rendered for it (`partition.params`). */
export type CheckFunction = (partition: CheckerPartition, params: Record<string, string>, request: CheckerRequest) => CheckOutcome | Promise<CheckOutcome>;

export interface RunCheckerOptions {
  /** Partitions checked at once. Defaults to 8. */
  concurrency?: number;
  /** Where the compact verdict goes when that file is writable. Defaults to /dev/termination-log. */
  terminationPath?: string;
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Where the request is read from when HOMEOSTAT_REQUEST is not set. Defaults to process.stdin. */
  stdin?: AsyncIterable<string | Uint8Array>;
  /** Default process.stdout / process.stderr. */
  stdout?: { write(text: string): unknown };
  stderr?: { write(text: string): unknown };
  /** Set process.exitCode to the result. Defaults to true. */
  setExitCode?: boolean;
}

/** What a run did: its exit code, and the verdict when there is one. */
export interface CheckerRun {
  exitCode: number;
  verdict?: CheckerVerdict;
}

const STATES: ReadonlySet<string> = new Set(['satisfied', 'unsatisfied', 'unrecoverable']);

/** Reads the request, checks every partition, writes the verdict. Resolves to what it did; never rejects. */
export async function runChecker(check: CheckFunction, options: RunCheckerOptions = {}): Promise<CheckerRun> {
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const done = (run: CheckerRun) => {
    if (options.setExitCode !== false) process.exitCode = run.exitCode;
    return run;
  };

  const jobMode = env.HOMEOSTAT_REQUEST !== undefined;
  const request = readRequest(jobMode ? (env.HOMEOSTAT_REQUEST as string) : await readAll(options.stdin ?? process.stdin));
  if (!request.ok) {
    stderr.write(`homeostat checker: ${request.error}\n`);
    return done({ exitCode: 1 });
  }
  const { verdict, errors } = await checkPartitions(request.value, check, options.concurrency ?? 8);
  for (const e of errors.slice(0, 20)) stderr.write(`homeostat checker: partition ${e.key || '-'}: ${e.message}\n`);
  if (errors.length > 20) stderr.write(`homeostat checker: and ${errors.length - 20} more errors\n`);
  if (errors.length > 0 && errors.length === request.value.partitions.length) {
    stderr.write(`homeostat checker: every partition failed: ${errors[0]?.message}\n`);
    return done({ exitCode: 1 });
  }

  stdout.write(`${JSON.stringify(verdict)}\n`);
  const path = options.terminationPath ?? '/dev/termination-log';
  if (jobMode && writable(path)) {
    const compact = encodeCompactVerdict(request.value.partitions.map((p) => p.key), verdict.results);
    if (!compact.ok) {
      stderr.write(`homeostat checker: ${compact.error}\n`);
      return done({ exitCode: 1, verdict });
    }
    if (compact.dropped + compact.shortened > 0) stderr.write(`homeostat checker: ${compact.shortened} messages shortened and ${compact.dropped} left out to fit the termination message\n`);
    writeFileSync(path, compact.text);
  }
  return done({ exitCode: 0, verdict });
}

/** Runs `check` on every partition, at most `concurrency` at once. A throwing partition stays unknown. */
export async function checkPartitions(request: CheckerRequest, check: CheckFunction, concurrency: number): Promise<{ verdict: CheckerVerdict; errors: { key: string; message: string }[] }> {
  const slots: (CheckerResult | undefined)[] = request.partitions.map(() => undefined);
  const errors: { key: string; message: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < request.partitions.length) {
      const i = next++;
      const partition = request.partitions[i] as CheckerPartition;
      try {
        const outcome = toResult(partition.key, await check(partition, partition.params, request));
        if (typeof outcome === 'string') errors.push({ key: partition.key, message: outcome });
        else slots[i] = outcome;
      } catch (error) {
        errors.push({ key: partition.key, message: error instanceof Error ? error.message : String(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, request.partitions.length)) }, worker));
  return { verdict: { results: slots.filter((r): r is CheckerResult => r !== undefined) }, errors };
}

/** Parses a request, checking the shape the SDK relies on. */
export function readRequest(text: string): { ok: true; value: CheckerRequest } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `the request is not JSON: ${(error as Error).message}` };
  }
  const r = json as Partial<CheckerRequest> | null;
  if (r === null || typeof r !== 'object' || !Array.isArray(r.partitions)) return { ok: false, error: 'the request must be an object with a partitions list' };
  for (const [i, p] of r.partitions.entries()) {
    if (p === null || typeof p !== 'object' || typeof p.key !== 'string') return { ok: false, error: `partitions[${i}] must be an object with a key` };
  }
  return {
    ok: true,
    value: {
      expectation: r.expectation ?? { namespace: '', name: '' },
      params: r.params ?? {},
      partitions: r.partitions.map((p) => ({ key: p.key, values: p.values ?? {}, params: p.params ?? {} })),
    },
  };
}

/** A check function's return value as a result, or why it is not one. */
function toResult(key: string, outcome: CheckOutcome): CheckerResult | undefined | string {
  if (outcome === undefined) return undefined;
  if (typeof outcome === 'string') return STATES.has(outcome) ? { key, state: outcome } : `returned ${JSON.stringify(outcome)}, not satisfied, unsatisfied or an object with a state`;
  if (outcome === null || typeof outcome !== 'object' || !STATES.has(outcome.state)) return `returned ${JSON.stringify(outcome)}, not a verdict`;
  return { key, state: outcome.state, ...(typeof outcome.message === 'string' && outcome.message !== '' ? { message: outcome.message } : {}) };
}

async function readAll(stream: AsyncIterable<string | Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
