import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, stop } from 'esbuild';
import { MIN_NODE_MAJOR, nodeVersionProblem } from '../../src/cli/nodeVersion.js';

const REPO = join(import.meta.dirname, '../..');

describe('the Node version check', () => {
  it.each(['22.0.0', '24.21.0', '30.1.2'])('lets Node %s run the command', (version) => {
    expect(nodeVersionProblem(version, '/usr/bin/node')).toBeUndefined();
  });

  it.each(['20.20.2', '18.0.0', 'not-a-version'])('refuses Node %s, saying what it needs and how to get it', (version) => {
    const problem = nodeVersionProblem(version, '/usr/bin/node');
    expect(problem).toContain(`homeostat needs Node.js ${MIN_NODE_MAJOR} or newer; /usr/bin/node is Node.js ${version}.`);
    expect(problem).toContain('bin/homeostat');
  });
});

/** A Node older than MIN_NODE_MAJOR on this machine, if there is one (Debian's is 20 here). */
function oldNode(): string | undefined {
  const candidates = [...(process.env.PATH ?? '').split(':').map((dir) => join(dir, 'node')), '/usr/bin/node', '/usr/local/bin/node'];
  for (const node of candidates) {
    try {
      const major = Number(execFileSync(node, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).trim());
      if (major < MIN_NODE_MAJOR) return node;
    } catch {
      // Not there.
    }
  }
  return undefined;
}

const old = oldNode();

describe('the homeostat entry (src/cli/main.ts) on an old Node', () => {
  // Without an old Node there is nothing to run it with; the unit cases above still hold.
  (old === undefined ? it.skip : it)(`says what it needs and exits 1, before loading the command (${old ?? 'no old Node here'})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-entry-'));
    try {
      // The entry and the command as `make build` compiles them (one file each, packages from node_modules).
      const sources = readdirSync(join(REPO, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
      await build({ entryPoints: sources.map((f) => join(REPO, 'src', f)), outbase: join(REPO, 'src'), outdir: join(dir, 'dist'), platform: 'node', format: 'esm', logLevel: 'silent' });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', version: '0.0.0' }));
      symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
      const run = spawnSync(old as string, [join(dir, 'dist/cli/main.js'), '--help'], { encoding: 'utf8', cwd: dir });
      expect(run.stderr).not.toContain('TypeError');
      expect(run.stderr).toMatch(`homeostat needs Node.js ${MIN_NODE_MAJOR} or newer; ${old} is Node.js ${execFileSync(old as string, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim()}.`);
      expect(run.status).toBe(1);
    } finally {
      await stop(); // esbuild's service process would keep a run in band (jest -i) from exiting
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
