import { describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { apiFailure } from '../../src/kube/client.js';
import { PermanentRefusal } from '../../src/runtime/refusals.js';

const refused = (code: number, message: string) => new ApiException(code, `HTTP-Code: ${code}\nBody: ...\nHeaders: {"authorization":"Bearer secret"}`, { kind: 'Status', message }, { authorization: 'Bearer secret' });
const call = { verb: 'create', resource: 'jobs.batch', namespace: 'team-a' };

describe('apiFailure: which API errors are permanent', () => {
  it.each([
    [403, 'Forbidden', 'create jobs.batch in namespace team-a is forbidden: jobs.batch is forbidden: User "u" cannot create resource "jobs"'],
    [401, 'Unauthorized', 'create jobs.batch in namespace team-a is unauthorized: Unauthorized'],
    [404, 'NotFound', 'create jobs.batch in namespace team-a failed (not found): namespaces "team-a" not found'],
    [422, 'Invalid', 'create jobs.batch in namespace team-a is invalid: Job.batch "x" is invalid'],
  ])('%i is a PermanentRefusal with reason %s, the verb, the resource and the server\'s words', (code, reason, message) => {
    const server = message.split(': ').slice(1).join(': ');
    const error = apiFailure(refused(code, server), call, 'creating Job team-a/x');
    expect(error).toBeInstanceOf(PermanentRefusal);
    expect(error).toMatchObject({ reason, message });
    expect(error.message).not.toContain('secret');
  });

  it.each([500, 503, 429, 409])('%i stays a plain error, retried soon', (code) => {
    const error = apiFailure(refused(code, 'try again'), call, 'creating Job team-a/x');
    expect(error).not.toBeInstanceOf(PermanentRefusal);
    expect(error.message).toBe(`creating Job team-a/x failed: HTTP ${code}: try again`);
  });

  it('a network error stays a plain error', () => {
    const error = apiFailure(new Error('connect ECONNREFUSED 127.0.0.1:6443'), call, 'creating Job team-a/x');
    expect(error).not.toBeInstanceOf(PermanentRefusal);
    expect(error.message).toBe('creating Job team-a/x failed: Error: connect ECONNREFUSED 127.0.0.1:6443');
  });
});
