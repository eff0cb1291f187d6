/**
 * A checker as its image runs it: its entry point (packages/checker-<name>/src/main.ts) bundled
 * with esbuild into one ESM file, run by Node with an environment and, in embedded mode, stdin.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from './process.js';

/** Bundles `entry` (relative to the repository) into a temporary .mjs file; resolves to its path. */
export async function bundleProgram(entry: string): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'homeostat-program-')), 'main.mjs');
  await build({
    entryPoints: [join(repoRoot, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'silent',
    // Read the SDK from its sources (its package.json's `@homeostat/source` condition): no build needed.
    conditions: ['@homeostat/source'],
    // CommonJS dependencies (pg, the AWS SDK) call require() on Node's built-ins.
    banner: { js: "import { createRequire as __homeostatRequire } from 'node:module'; const require = __homeostatRequire(import.meta.url);" },
  });
  return outfile;
}

export interface ProgramRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a Node program with exactly `env` (plus PATH), `stdin` when given; resolves when it exits. */
export function runProgram(file: string, options: { env?: Record<string, string>; stdin?: string; timeoutMs?: number } = {}): Promise<ProgramRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { env: { PATH: process.env.PATH ?? '', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
