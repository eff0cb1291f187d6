import { randomUUID } from 'node:crypto';
import type { StateChecker } from '../api/types.js';
import { CheckFailure, type CheckerRequest, MAX_VERDICT_BYTES, type ParsedVerdict, parseVerdict, tail } from '../checkers/protocol.js';
import type { CheckRequest } from '../engine/index.js';
import { requestBody } from '../checkers/protocol.js';
import type { Logger } from '../runtime/log.js';
import { type CheckAnswer, type CheckRunner, type Clock, systemClock } from '../runtime/ports.js';
import { answerFor, type CheckOutcome } from '../runtime/checkAnswer.js';
import { type CheckerPost, guardedPost, REFUSED_CODE } from './checkerPost.js';
import { CheckerUrlPolicy } from './checkerUrlPolicy.js';

/** What an Http-mode checker is POSTed: the protocol's request, and where a later answer goes. */
export interface HttpCheckerRequest extends CheckerRequest {
  /** Names this request when the answer comes later (202): the service quotes it to the observation endpoint. */
  requestId: string;
  /** The observation endpoint, when the controller was told its address. */
  replyTo?: string;
}

/** The header that carries the request id too, for services that route before reading the body. */
export const REQUEST_ID_HEADER = 'X-Homeostat-Request-Id';

export interface HttpCheckRunnerOptions {
  /** The StateChecker a request names, or undefined when there is none. */
  checkerOf: (ref: { namespace: string; name: string }) => StateChecker | undefined;
  log: Logger;
  /** Defaults to the system clock. */
  clock?: Clock;
  /**
   * Which destinations may be called (http(s) only; loopback, link-local and the API server
   * refused unless allowed). Defaults to CheckerUrlPolicy.strict(): nothing allowed.
   */
  urlPolicy?: CheckerUrlPolicy;
  /** Sends the POST. Defaults to guardedPost(urlPolicy), which checks every address it connects to. */
  post?: CheckerPost;
  /** The observation endpoint's URL, sent as `replyTo`. */
  replyTo?: string;
}

/** What the observation endpoint answers its caller after `deliver`. */
export type Delivery = { ok: true } | { ok: false; status: 400 | 404; message: string };

/** Which check a request id names, so the observation endpoint can authorise the caller. */
export interface PendingCheck {
  checker: { namespace: string; name: string };
  owner: CheckRequest['owner'];
}

interface Pending {
  request: CheckRequest;
  checker: string;
  abort: AbortController;
  cancelTimer: () => void;
  /** The service answered 202: the verdicts come later. */
  accepted: boolean;
}

/**
 * Asks Http-mode StateCheckers: POSTs the request (protocol.ts, plus `requestId` and `replyTo`)
 * as JSON to `spec.url`. 200 with a verdict is the answer. 202 means the verdicts come later:
 * either through `deliver(requestId, body)` (for an endpoint that routes by request id), or as
 * pushed observations (POST /v1/observations, by Expectation and key); when the timeout passes
 * after a 202 without a delivery, the request closes without verdicts, leaving pushed ones in
 * place. Any other status (redirects are not followed), an unreachable service or a malformed
 * verdict fails the batch (CheckerFailed, "HTTP 500 from checker <host>": the body of an error is
 * never copied into status or logs); no response to the POST within the request's timeout is
 * CheckerTimeout. A url the CheckerUrlPolicy refuses fails the batch before anything is sent.
 * One answer per request: a delivery after it is refused (404).
 */
export class HttpCheckRunner implements CheckRunner {
  private listener: (answer: CheckAnswer) => void = () => undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly clock: Clock;
  private readonly urlPolicy: CheckerUrlPolicy;
  private readonly post: CheckerPost;

  constructor(private readonly options: HttpCheckRunnerOptions) {
    this.clock = options.clock ?? systemClock;
    this.urlPolicy = options.urlPolicy ?? CheckerUrlPolicy.strict();
    this.post = options.post ?? guardedPost(this.urlPolicy);
  }

  onAnswer(listener: (answer: CheckAnswer) => void): void {
    this.listener = listener;
  }

  /** The ids of the requests waiting for an answer. */
  waitingFor(): string[] {
    return [...this.pending.keys()];
  }

  /** Which check a request id names; undefined once it is answered (or never was). */
  pendingCheck(requestId: string): PendingCheck | undefined {
    const request = this.pending.get(requestId)?.request;
    return request === undefined ? undefined : { checker: request.checker, owner: request.owner };
  }

  /** Shutdown: forgets every waiting request without answering it, aborting its POST and its timer. */
  stop(): void {
    for (const entry of this.pending.values()) {
      entry.cancelTimer();
      entry.abort.abort();
    }
    this.pending.clear();
  }

  async request(request: CheckRequest): Promise<void> {
    const failed = (message: string) => queueMicrotask(() => this.listener({ request, failure: { reason: CheckFailure.CheckerFailed, message } }));
    const checker = this.options.checkerOf(request.checker);
    if (checker === undefined) return failed(`StateChecker ${request.checker.namespace}/${request.checker.name} does not exist`);
    const what = `StateChecker ${checker.metadata.name}`;
    if (checker.spec.mode !== 'Http' || checker.spec.url === undefined) return failed(`${what} is not an Http checker with a url`);
    let url: URL;
    try {
      url = new URL(checker.spec.url);
    } catch {
      return failed(`${what}: ${JSON.stringify(checker.spec.url)} is not a URL`);
    }
    // Before anything is sent; names are checked again on every address they resolve to (checkerPost.ts).
    const allowed = this.urlPolicy.checkUrl(url);
    if (!allowed.ok) return failed(`${what}: url ${url.origin}${url.pathname} is refused: ${allowed.reason}`);
    const body = requestBody(request);
    if (!body.ok) return failed(`${what}: ${body.error}`);

    const requestId = randomUUID();
    const payload: HttpCheckerRequest = { ...body.value, requestId, ...(this.options.replyTo !== undefined ? { replyTo: this.options.replyTo } : {}) };
    const abort = new AbortController();
    this.pending.set(requestId, {
      request,
      checker: checker.metadata.name,
      abort,
      cancelTimer: this.clock.setTimer(this.clock.now() + request.timeoutMs, () => {
        // After a 202 the verdicts may have come as pushed observations (the observation endpoint
        // takes them by Expectation and key): a batch-wide CheckerTimeout would overwrite them.
        // The request closes without verdicts; the engine's own check deadline (the same timeout)
        // makes the partitions nobody reported Unknown with CheckerTimeout.
        if (this.pending.get(requestId)?.accepted === true) return this.settle(requestId, { ok: true, results: new Map(), missing: [], unexpected: [] });
        this.settle(requestId, { reason: CheckFailure.CheckerTimeout, message: `${what} did not answer within ${seconds(request.timeoutMs)}` });
      }),
      accepted: false,
    });
    // Handed over: the POST goes on while the caller moves on (ports are non-blocking).
    void this.send(requestId, url, payload, abort.signal, what);
  }

  /**
   * An answer that came later (after a 202), from the observation endpoint: the verdict body as
   * the service sent it (JSON text or bytes, or already parsed), or `{"error": "..."}` when the
   * service could not check. A malformed verdict fails the batch and is refused (400); an unknown
   * or already answered request id is refused (404).
   */
  deliver(requestId: string, body: string | Uint8Array | Record<string, unknown>): Delivery {
    const entry = this.pending.get(requestId);
    if (entry === undefined) return { ok: false, status: 404, message: `no check is waiting for request ${requestId} (answered, timed out, or never asked)` };
    const parsed = readVerdict(body, entry.request, `StateChecker ${entry.checker}`);
    this.settle(requestId, parsed.ok ? parsed : { reason: parsed.reason, message: parsed.message });
    return parsed.ok || parsed.reported ? { ok: true } : { ok: false, status: 400, message: parsed.message };
  }

  private async send(requestId: string, url: URL, payload: HttpCheckerRequest, signal: AbortSignal, what: string): Promise<void> {
    const where = `${url.origin}${url.pathname}`; // never the query: it may hold a token
    let status: number;
    let text: string;
    try {
      const headers = { 'content-type': 'application/json', accept: 'application/json', [REQUEST_ID_HEADER]: requestId };
      ({ status, text } = await this.post({ url, headers, body: JSON.stringify(payload), signal, maxBytes: MAX_VERDICT_BYTES }));
    } catch (error) {
      if (signal.aborted) return; // timed out (answered already) or stopped
      const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
      if (e.code === REFUSED_CODE) return this.settle(requestId, { reason: CheckFailure.CheckerFailed, message: `${what}: url ${where} is refused: ${e.message ?? ''}` });
      return this.settle(requestId, { reason: CheckFailure.CheckerFailed, message: `${what}: POST ${where} failed: ${e.code ?? e.cause?.code ?? e.cause?.message ?? e.message ?? String(error)}` });
    }
    if (status === 202) {
      const entry = this.pending.get(requestId);
      if (entry !== undefined) entry.accepted = true;
      return; // the answer comes through deliver(), or as pushed observations
    }
    if (status !== 200) {
      // The body is never copied into status or logged: behind a refused-by-nobody url may be a
      // service that answers errors with what it knows (a token, an internal address). The status
      // code says enough to look at the checker's own logs.
      this.options.log.debug({ requestId, checker: what, status, bodyBytes: Buffer.byteLength(text) }, 'checker answered an error status');
      return this.settle(requestId, { reason: CheckFailure.CheckerFailed, message: `${what}: HTTP ${status} from checker ${url.host}` });
    }
    const entry = this.pending.get(requestId);
    if (entry === undefined) return;
    const parsed = readVerdict(text, entry.request, what);
    this.settle(requestId, parsed.ok ? parsed : { reason: parsed.reason, message: parsed.message });
  }

  /** Answers a request once: the first call wins, the others do nothing. */
  private settle(requestId: string, outcome: CheckOutcome): void {
    const entry = this.pending.get(requestId);
    if (entry === undefined) return;
    this.pending.delete(requestId);
    entry.cancelTimer();
    entry.abort.abort();
    const { request } = entry;
    const answer = answerFor(request, outcome);
    this.options.log.debug({ requestId, checker: entry.checker, failure: 'failure' in answer ? answer.failure.reason : undefined }, 'check answered');
    queueMicrotask(() => this.listener(answer));
  }
}

type Read = Extract<ParsedVerdict, { ok: true }> | { ok: false; reason: string; message: string; reported: boolean };

/** A verdict body, or why the batch fails; `reported`: the service itself said it could not check. */
function readVerdict(body: string | Uint8Array | Record<string, unknown>, request: CheckRequest, what: string): Read {
  if (typeof body === 'object' && !(body instanceof Uint8Array) && typeof body.error === 'string') {
    return { ok: false, reason: CheckFailure.CheckerFailed, message: `${what} could not check: ${tail(body.error, 1024)}`, reported: true };
  }
  let text: string | Uint8Array;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    text = body;
    const error = errorOf(body);
    if (error !== undefined) return { ok: false, reason: CheckFailure.CheckerFailed, message: `${what} could not check: ${tail(error, 1024)}`, reported: true };
  } else {
    text = JSON.stringify(body);
  }
  const parsed = parseVerdict(text, request.items.map((i) => i.partition));
  if (parsed.ok) return parsed;
  // JSON.parse quotes the start of the text it could not read: not a word of a body into status.
  const message = parsed.message.startsWith(NOT_JSON) ? NOT_JSON : parsed.message;
  return { ok: false, reason: parsed.reason, message: `${what}: ${message}`, reported: false };
}

const NOT_JSON = 'the verdict is not JSON';

/** The `error` of an `{"error": "..."}` body. */
function errorOf(body: string | Uint8Array): string | undefined {
  try {
    const json = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8')) as unknown;
    const error = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as { error?: unknown }).error : undefined;
    return typeof error === 'string' ? error : undefined;
  } catch {
    return undefined;
  }
}

/** A timeout as people write it: `600s`, `1.5s`. */
const seconds = (ms: number): string => `${ms >= 10_000 ? Math.round(ms / 1000) : Math.round(ms / 100) / 10}s`;
