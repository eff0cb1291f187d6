import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { HOMEOSTAT_TOKEN_PATH, homeostatToken } from '../src/token.js';

describe('homeostatToken', () => {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-token-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the projected token from HOMEOSTAT_TOKEN_FILE, again on each call (the kubelet rotates it)', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'first-token\n');
    expect(await homeostatToken({ HOMEOSTAT_TOKEN_FILE: file })).toBe('first-token');
    writeFileSync(file, 'rotated-token');
    expect(await homeostatToken({ HOMEOSTAT_TOKEN_FILE: file })).toBe('rotated-token');
  });

  it('reads /var/run/secrets/homeostat.dev/serviceaccount/token by default, never the Pod\'s default token, and says what to mount', async () => {
    expect(HOMEOSTAT_TOKEN_PATH).toBe('/var/run/secrets/homeostat.dev/serviceaccount/token');
    await expect(homeostatToken({})).rejects.toThrow(`no token for Homeostat at ${HOMEOSTAT_TOKEN_PATH} (ENOENT): mount a projected serviceAccountToken with audience homeostat.dev`);
  });

  it("refuses the Pod's default token, which is for the API server", async () => {
    await expect(homeostatToken({ HOMEOSTAT_TOKEN_FILE: '/var/run/secrets/kubernetes.io/serviceaccount/token' })).rejects.toThrow(/is for the API server and refused by Homeostat/);
  });

  it('refuses an empty file', async () => {
    const file = join(dir, 'empty');
    writeFileSync(file, '\n');
    await expect(homeostatToken({ HOMEOSTAT_TOKEN_FILE: file })).rejects.toThrow(`the token file ${file} is empty`);
  });
});
