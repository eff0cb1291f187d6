import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readManifests } from '../../src/api/manifests.js';
import { ExitCode, runCli } from '../../src/cli/program.js';
import * as validate from '../../src/cli/validate.js';
import { EXAMPLES } from './fixtures.js';

const examples = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

/** Runs `homeostat validate -f PATH` in-process. */
async function validateDir(path: string): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runCli(['validate', '-f', path], [validate], { out: (t) => void (out += t), err: (t) => void (out += t) });
  return { code, out };
}

describe('examples/', () => {
  it('holds the quickstart, the mediator and the on-cluster example', () => {
    expect(examples).toEqual(expect.arrayContaining(['mediator', 'on-cluster', 'quickstart']));
  });

  it('passes `homeostat validate -f examples/` as a whole', async () => {
    const { code, out } = await validateDir(EXAMPLES);
    expect([code, out]).toEqual([ExitCode.Ok, expect.stringMatching(/^\d+ objects valid\n$/)]);
  });

  it.each(examples)('%s: validates on its own, has a README, and every script its Jobs run is there', async (name) => {
    const dir = join(EXAMPLES, name);
    const { code, out } = await validateDir(dir);
    expect([code, out]).toEqual([ExitCode.Ok, expect.stringMatching(/^\d+ objects? valid\n$/)]);
    expect(existsSync(join(dir, 'README.md'))).toBe(true);

    // Embedded mode runs `command` + `args` in the example's directory: `sh bin/x.sh`, `node bin/y.mjs`.
    const set = await readManifests(dir);
    const scripts = new Set<string>();
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(visit);
      else if (typeof value === 'object' && value !== null) {
        const { command } = value as { command?: unknown };
        if (Array.isArray(command)) for (const part of command) if (typeof part === 'string' && part.startsWith('bin/')) scripts.add(part);
        Object.values(value).forEach(visit);
      }
    };
    for (const doc of set.documents) visit(doc.object);
    // on-cluster and sources run only in a cluster (images; the controller's loader); the others run embedded.
    if (name !== 'on-cluster' && name !== 'sources') expect(scripts.size).toBeGreaterThan(0);
    expect([...scripts].filter((s) => !existsSync(join(dir, s)))).toEqual([]);
  });
});
