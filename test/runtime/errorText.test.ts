// API errors in logs (issue 10 item 8): whatever a log call is handed, a line carries the status
// code, the Status's reason and message, and never the response's headers or body, nor a token.
import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { ApiException } from '@kubernetes/client-node';
import { createLogger } from '../../src/runtime/log.js';
import { describeError, redact } from '../../src/runtime/errorText.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InNlY3JldCJ9.c2VjcmV0LXBheWxvYWQ.sig';

/** What client-node throws for a refused call: the Status body echoes the request, which held a token; the headers carry one too. */
const forbidden = () =>
  new ApiException<unknown>(
    403,
    'Unknown API Status Code!',
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message: 'jobs.batch is forbidden: User "system:serviceaccount:ns:ctl" cannot create resource "jobs"',
      details: { causes: [{ message: `request was {"env":[{"name":"TOKEN","value":"${TOKEN}"}]}` }] },
    }),
    { authorization: `Bearer ${TOKEN}`, 'set-cookie': 'session=abc', 'audit-id': 'a1' },
  );

/** A logger writing into an array, one parsed JSON object per line. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      done();
    },
  });
  return { log: createLogger({ level: 'debug', destination: stream as never }), lines };
}

describe('the logger: an API exception is logged without its headers or body', () => {
  it.each([
    ['err', (log: ReturnType<typeof capture>['log'], e: Error) => log.error({ err: e }, 'creating a Job failed')],
    ['error', (log: ReturnType<typeof capture>['log'], e: Error) => log.warn({ error: e }, 'creating a Job failed')],
    ['err in a child logger', (log: ReturnType<typeof capture>['log'], e: Error) => log.child({ component: 'actions' }).error({ err: e }, 'creating a Job failed')],
    ['a wrapping error (cause)', (log: ReturnType<typeof capture>['log'], e: Error) => log.error({ err: new Error('launching an action failed', { cause: e }) }, 'x')],
  ])('under %s', (_key, write) => {
    const { log, lines } = capture();
    write(log, forbidden());
    expect(lines).toHaveLength(1);
    const line = lines[0] as string;
    expect(line).toContain('HTTP 403 Forbidden: jobs.batch is forbidden: User \\"system:serviceaccount:ns:ctl\\" cannot create resource \\"jobs\\"');
    expect(line).not.toContain(TOKEN);
    expect(line).not.toMatch(/authorization/i);
    expect(line).not.toContain('session=abc');
    expect(line).not.toContain('audit-id');
    expect(line).not.toContain('causes');
  });

  it('handed alone (log.error(e)), the line says the safe description, not the exception message', () => {
    const { log, lines } = capture();
    log.error(forbidden());
    log.child({ component: 'x' }).warn(forbidden(), 'creating a Job failed');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ msg: expect.stringMatching(/^HTTP 403 Forbidden: /), err: { code: 403 } });
    expect(JSON.parse(lines[1] as string)).toMatchObject({ msg: 'creating a Job failed', err: { code: 403 } });
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toMatch(/authorization|HTTP-Code|Headers/i);
  });

  it('redacts a token pasted into a message', () => {
    const { log, lines } = capture();
    log.warn(`calling with Bearer ${TOKEN}`);
    log.info({ user: 'x' }, `token=${TOKEN}`);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('keeps the code and the stack frames, so a bug can still be found', () => {
    const { log, lines } = capture();
    log.error({ err: forbidden() }, 'x');
    const { err } = JSON.parse(lines[0] as string) as { err: { type: string; code: number; message: string; stack: string } };
    expect(err).toMatchObject({ type: 'Error', code: 403, message: expect.stringMatching(/^HTTP 403 Forbidden: /) });
    expect(err.stack).toMatch(/^\s+at /);
  });

  it('redacts a token in a plain error message or string', () => {
    const { log, lines } = capture();
    log.error({ err: new Error(`request failed: Authorization: Bearer ${TOKEN}`) }, 'x');
    log.warn({ error: `token=${TOKEN}` }, 'y');
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines.join('\n')).toContain('[redacted]');
  });
});

describe('describeError', () => {
  it('says status code, reason and message of an API error', () => {
    expect(describeError(forbidden())).toBe('HTTP 403 Forbidden: jobs.batch is forbidden: User "system:serviceaccount:ns:ctl" cannot create resource "jobs"');
  });

  it('an API error whose body is not a Status: the code only', () => {
    expect(describeError(new ApiException(502, 'Bad Gateway', '<html>upstream token=abc</html>', {}))).toBe('HTTP 502');
  });

  it('another error: its name and first message line', () => {
    expect(describeError(new TypeError('fetch failed\nBody: secret'))).toBe('TypeError: fetch failed');
  });

  it.each([
    ['Bearer abc.def', 'Bearer [redacted]'],
    ['"authorization":"Basic dXNlcjpwYXNz"', '"authorization":[redacted]'],
    ['password=hunter2&user=x', 'password=[redacted]&user=x'],
  ])('redact(%j)', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });
});
