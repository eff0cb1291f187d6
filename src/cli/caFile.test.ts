import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCaFile } from './caFile.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----';

describe('readCaFile: the CA handed to every action Pod', () => {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-ca-'));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('keeps the certificates only', () => {
    expect(readCaFile(file('ca.crt', `# a comment\n${CERT}\n\n${CERT}\n`))).toEqual({ ok: true, value: `${CERT}\n${CERT}\n` });
  });

  it('refuses a file with a private key: it would reach every action', () => {
    const result = readCaFile(file('tls.pem', `${CERT}\n-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n`));
    expect(result).toEqual({ ok: false, error: expect.stringContaining('holds a private key') });
  });

  it('says what is wrong with a missing or empty file', () => {
    expect(readCaFile(join(dir, 'absent.crt'))).toEqual({ ok: false, error: `cannot read ${join(dir, 'absent.crt')}: ENOENT` });
    expect(readCaFile(file('empty.crt', ''))).toEqual({ ok: false, error: expect.stringContaining('holds no PEM certificate') });
  });
});
