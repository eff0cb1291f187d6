import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryReader } from '../../src/sources/directoryReader.js';
import { SourceUnreachable } from '../../src/sources/model.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-dir-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (path: string, text: string) => {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
};

describe('a directory source', () => {
  it('lists definition files recursively, skipping dot names and other extensions, with a sha256 each', async () => {
    write('a.yaml', 'x: 1\n');
    write('dags/etl.json', '{}');
    write('dags/deep/b.YML', 'y: 2\n');
    write('.git/config.yaml', 'nope');
    write('.hidden.yaml', 'nope');
    write('README.md', '# nope');
    const entries = await new DirectoryReader(dir).list();
    expect(entries.map((e) => e.path)).toEqual(['a.yaml', 'dags/deep/b.YML', 'dags/etl.json']);
    expect(entries.every((e) => /^sha256:[0-9a-f]{64}$/.test(e.checksum))).toBe(true);
    expect(await entries[1]?.read()).toBe('y: 2\n');
  });

  it('opens no file when nothing changed, and gives a changed file a new checksum', async () => {
    write('a.yaml', 'x: 1\n');
    write('b.yaml', 'y: 1\n');
    const reader = new DirectoryReader(dir);
    const first = await reader.list();
    expect(reader.opened).toBe(2);
    const again = await reader.list();
    expect(reader.opened).toBe(2);
    expect(again.map((e) => e.checksum)).toEqual(first.map((e) => e.checksum));
    write('b.yaml', 'y: 2, z: 3\n');
    const changed = await reader.list();
    expect(reader.opened).toBe(3);
    expect(changed[0]?.checksum).toBe(first[0]?.checksum);
    expect(changed[1]?.checksum).not.toBe(first[1]?.checksum);
  });

  it('follows a link inside the directory (a ConfigMap volume) but never reads one that leads outside', async () => {
    write('..data/etl.yaml', 'kind: x\n');
    symlinkSync(join(dir, '..data/etl.yaml'), join(dir, 'etl.yaml'));
    const outside = mkdtempSync(join(tmpdir(), 'homeostat-secret-'));
    writeFileSync(join(outside, 'token.yaml'), 'secret-token');
    symlinkSync(join(outside, 'token.yaml'), join(dir, 'token.yaml'));
    try {
      const entries = await new DirectoryReader(dir).list();
      expect(entries.map((e) => e.path)).toEqual(['etl.yaml', 'token.yaml']);
      expect(await entries[0]?.read()).toBe('kind: x\n');
      await expect(entries[1]?.read()).rejects.toThrow('a link to outside the directory is not read');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a directory allowed by its path but leading elsewhere through a link is not read', async () => {
    const allowed = join(dir, 'allowed');
    mkdirSync(allowed);
    const elsewhere = mkdtempSync(join(tmpdir(), 'homeostat-elsewhere-'));
    symlinkSync(elsewhere, join(allowed, 'escape'));
    try {
      await expect(new DirectoryReader(join(allowed, 'escape'), [allowed]).list()).rejects.toThrow(/^directory .*escape leads to .*, which is not in a directory the administrator allows sources to read$/);
      write('allowed/team/a.yaml', 'x: 1\n');
      expect((await new DirectoryReader(join(allowed, 'team'), [allowed]).list()).map((e) => e.path)).toEqual(['a.yaml']);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('a missing directory is unreachable, as a whole', async () => {
    await expect(new DirectoryReader(join(dir, 'nope')).list()).rejects.toThrow(new SourceUnreachable('DirectoryUnreadable', `directory ${join(dir, 'nope')}: no such file or directory`));
  });
});
