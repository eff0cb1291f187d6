/**
 * A verdict small enough for a container's termination message (at most 4096 bytes, which is all
 * the kubelet keeps): the states in request order, then messages, cut to fit.
 *
 *   h1 <count> <states>            count: partitions asked; states: `r<runs>` or `p<packed>`
 *   <index> <message>              zero or more lines; index in request order, message on one line
 *
 * States are `s` satisfied, `u` unsatisfied, `x` unrecoverable, `?` no verdict (unknown).
 * - `r`: runs, each a state followed by an optional repeat count: `rs98x2` is 98 s then 2 x.
 * - `p`: base64url, three partitions per character, two bits each (s=0 u=1 x=2 ?=3, the first
 *   partition in the high bits): any batch up to about 12,000 partitions fits.
 * The encoder writes runs (readable in `kubectl describe pod`) unless they are longer than 256
 * characters and the packed form is shorter. Messages of unrecoverable partitions come first, then the
 * others; each is cut to its fair share of the room left (ending in `…`), or left out when none
 * is left. A JSON verdict (protocol.ts) that fits is accepted too: `decodeTerminationMessage`.
 */
import { CheckFailure, type CheckerResult, type CheckerState, MAX_MESSAGE_LENGTH, type ParsedVerdict, parseVerdict } from './protocol.js';

/** The most the kubelet keeps of a termination message, per container. */
export const TERMINATION_MESSAGE_LIMIT = 4096;

const MAGIC = 'h1';
const STATE_CHARS = ['s', 'u', 'x', '?'] as const;
type StateChar = (typeof STATE_CHARS)[number];
const CHAR_OF: Record<CheckerState, StateChar> = { satisfied: 's', unsatisfied: 'u', unrecoverable: 'x' };
const STATE_OF: Record<StateChar, CheckerState | undefined> = { s: 'satisfied', u: 'unsatisfied', x: 'unrecoverable', '?': undefined };
/** Runs up to this long are written even when packed states would be shorter: people read them. */
const READABLE_RUNS = 256;
/** A message cut shorter than this says little; fewer messages are kept instead. */
const USEFUL_MESSAGE_BYTES = 24;
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export type Encoded =
  | {
      ok: true;
      text: string;
      /** Messages cut short to fit. */
      shortened: number;
      /** Messages left out for want of room. */
      dropped: number;
    }
  | { ok: false; error: string };

/**
 * Encodes the results for the partitions `keys` (in request order) in at most `limit` bytes.
 * Results for keys not asked are ignored; a key answered twice, or more partitions than even the
 * states can fit, is an error.
 */
export function encodeCompactVerdict(keys: readonly string[], results: readonly CheckerResult[], limit = TERMINATION_MESSAGE_LIMIT): Encoded {
  const index = new Map(keys.map((k, i) => [k, i]));
  const states: StateChar[] = keys.map(() => '?');
  const messages = new Map<number, string>();
  const seen = new Set<string>();
  for (const r of results) {
    if (seen.has(r.key)) return { ok: false, error: `partition ${JSON.stringify(r.key)} is answered twice` };
    seen.add(r.key);
    const i = index.get(r.key);
    if (i === undefined) continue;
    states[i] = CHAR_OF[r.state];
    const message = r.message?.replace(/\s*[\r\n]+\s*/g, ' ').trim();
    if (message !== undefined && message !== '') messages.set(i, message);
  }
  const runs = `r${runLength(states)}`;
  const packed = `p${pack(states)}`;
  const head = `${MAGIC} ${keys.length} ${runs.length <= Math.max(packed.length, READABLE_RUNS) ? runs : packed}`;
  let room = limit - Buffer.byteLength(head);
  if (room < 0) return { ok: false, error: `${keys.length} partitions do not fit in ${limit} bytes` };

  // Unrecoverable first: their message is the only way a person learns why. As many as can have
  // a useful part of theirs are kept; the others are dropped, then the room is shared fairly.
  const ranked = [...messages.keys()].sort((a, b) => Number(states[b] === 'x') - Number(states[a] === 'x') || a - b);
  const order: number[] = [];
  let least = 0;
  for (const i of ranked) {
    least += Buffer.byteLength(`\n${i} `) + Math.min(Buffer.byteLength(messages.get(i) as string), USEFUL_MESSAGE_BYTES);
    if (least > room) break;
    order.push(i);
  }
  const lines: [number, string][] = [];
  let shortened = 0;
  let dropped = ranked.length - order.length;
  for (const [n, i] of order.entries()) {
    const prefix = `\n${i} `;
    const share = Math.floor(room / (order.length - n)) - Buffer.byteLength(prefix);
    const full = (messages.get(i) as string).slice(0, MAX_MESSAGE_LENGTH);
    const text = Buffer.byteLength(full) <= share ? full : share >= 4 ? `${truncateUtf8(full, share - 3)}…` : undefined;
    if (text === undefined) {
      dropped++;
      continue;
    }
    if (text !== full) shortened++;
    room -= Buffer.byteLength(prefix) + Buffer.byteLength(text);
    lines.push([i, text]);
  }
  lines.sort((a, b) => a[0] - b[0]);
  return { ok: true, text: head + lines.map(([i, m]) => `\n${i} ${m}`).join(''), shortened, dropped };
}

/** Decodes a compact verdict against the keys asked, in request order. Malformed input fails the batch. */
export function decodeCompactVerdict(text: string, asked: readonly string[]): ParsedVerdict {
  const fail = (message: string): ParsedVerdict => ({ ok: false, reason: CheckFailure.CheckerFailed, message: `malformed compact verdict: ${message}` });
  const [head = '', ...lines] = text.replace(/\s+$/, '').split('\n');
  const match = /^h1 (\d+) ([rp])(\S*)$/.exec(head.replace(/\r$/, ''));
  if (match === null) return fail(`the first line must be "${MAGIC} <count> r<runs>|p<packed>", not ${JSON.stringify(head.slice(0, 40))}`);
  const count = Number(match[1]);
  if (count !== asked.length) return fail(`it answers ${count} partitions, ${asked.length} were asked`);
  const states = match[2] === 'r' ? unrunLength(match[3] as string, count) : unpack(match[3] as string, count);
  if (typeof states === 'string') return fail(states);

  const messages = new Map<number, string>();
  for (const line of lines) {
    const m = /^(\d+) (.*)$/s.exec(line.replace(/\r$/, ''));
    if (m === null) return fail(`a message line must be "<index> <message>", not ${JSON.stringify(line.slice(0, 40))}`);
    const i = Number(m[1]);
    if (i >= count) return fail(`a message for partition ${i} of ${count}`);
    if (states[i] === '?') return fail(`a message for partition ${i}, which has no verdict`);
    if (messages.has(i)) return fail(`two messages for partition ${i}`);
    messages.set(i, (m[2] as string).slice(0, MAX_MESSAGE_LENGTH));
  }

  const results: Extract<ParsedVerdict, { ok: true }>['results'] = new Map();
  const missing: string[] = [];
  for (const [i, key] of asked.entries()) {
    const state = STATE_OF[states[i] as StateChar];
    if (state === undefined) {
      missing.push(key);
      continue;
    }
    const message = messages.get(i);
    results.set(key, { state, ...(message !== undefined && message !== '' ? { message } : {}) });
  }
  return { ok: true, results, missing, unexpected: [] };
}

/**
 * A checker Job's termination message: a compact verdict, or a JSON verdict (protocol.ts) that a
 * checker without the SDK may write. More than the limit is refused: the kubelet would have cut it.
 */
export function decodeTerminationMessage(message: string, asked: readonly string[]): ParsedVerdict {
  const size = Buffer.byteLength(message);
  if (size > TERMINATION_MESSAGE_LIMIT) return { ok: false, reason: CheckFailure.CheckerFailed, message: `the termination message is ${size} bytes, more than ${TERMINATION_MESSAGE_LIMIT}` };
  if (message.trim() === '') return { ok: false, reason: CheckFailure.CheckerFailed, message: 'the checker wrote no verdict to its termination message (/dev/termination-log)' };
  return message.trimStart().startsWith('{') ? parseVerdict(message, asked) : decodeCompactVerdict(message, asked);
}

// ---- states ---------------------------------------------------------------------------------

function runLength(states: readonly StateChar[]): string {
  let out = '';
  for (let i = 0; i < states.length; ) {
    let j = i + 1;
    while (j < states.length && states[j] === states[i]) j++;
    out += `${states[i]}${j - i > 1 ? j - i : ''}`;
    i = j;
  }
  return out;
}

function unrunLength(text: string, count: number): StateChar[] | string {
  const states: StateChar[] = [];
  for (const [, char, times] of text.matchAll(/([^0-9])(\d*)/g)) {
    if (!STATE_CHARS.includes(char as StateChar)) return `unknown state ${JSON.stringify(char)} (s, u, x or ?)`;
    const n = times === '' ? 1 : Number(times);
    if (n < 1 || states.length + n > count) return `the runs hold more than ${count} states`;
    for (let k = 0; k < n; k++) states.push(char as StateChar);
  }
  if (/^\d/.test(text)) return 'the runs must start with a state';
  if (states.length !== count) return `the runs hold ${states.length} states, not ${count}`;
  return states;
}

function pack(states: readonly StateChar[]): string {
  let out = '';
  for (let i = 0; i < states.length; i += 3) {
    const code = (k: number) => (i + k < states.length ? STATE_CHARS.indexOf(states[i + k] as StateChar) : 0);
    out += B64[code(0) * 16 + code(1) * 4 + code(2)];
  }
  return out;
}

function unpack(text: string, count: number): StateChar[] | string {
  if (text.length !== Math.ceil(count / 3)) return `${text.length} packed characters cannot hold ${count} states`;
  const states: StateChar[] = [];
  for (const char of text) {
    const v = B64.indexOf(char);
    if (v < 0) return `${JSON.stringify(char)} is not a base64url character`;
    states.push(STATE_CHARS[v >> 4] as StateChar, STATE_CHARS[(v >> 2) & 3] as StateChar, STATE_CHARS[v & 3] as StateChar);
  }
  return states.slice(0, count);
}

/** The longest prefix of `text` of at most `bytes` UTF-8 bytes, never splitting a character. */
function truncateUtf8(text: string, bytes: number): string {
  let used = 0;
  let out = '';
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (used + size > bytes) break;
    used += size;
    out += char;
  }
  return out;
}
