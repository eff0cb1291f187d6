import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runDev } from '../../src/cli/dev.js';
import { ExitCode } from '../../src/cli/program.js';
import { sandbox, type Sandbox } from '../local/fixtures.js';

let box: Sandbox;
afterEach(() => box.cleanup());

/** `homeostat dev DIR --until-converged` as a user runs it: real checkers and actions, the log as JSON lines. */
async function devUntilConverged(dir: string): Promise<{ code: ExitCode; out: string; lines: { msg?: string; reason?: string; partition?: string }[] }> {
  let out = '';
  const never = new Promise<void>(() => undefined);
  const code = await runDev(dir, { untilConverged: true, timeout: '30s', interrupted: never }, { out: (t) => void (out += t), err: (t) => void (out += t) });
  const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string; reason?: string; partition?: string });
  return { code, out, lines };
}

describe('homeostat dev --until-converged', () => {
  it('checks again what an earlier run saw satisfied: a file deleted in between is rebuilt before it says converged', async () => {
    box = sandbox();
    const first = await devUntilConverged(box.dir);
    expect(first.code).toBe(ExitCode.Ok);
    const deleted = join(box.data, 'raw/2026-11-19/campaign-2.csv');
    const before = readFileSync(deleted, 'utf8');
    rmSync(deleted);

    const second = await devUntilConverged(box.dir);

    expect(second.out).toMatch(/converged in \d+\.\ds/);
    expect(second.code).toBe(ExitCode.Ok);
    expect(existsSync(deleted)).toBe(true);
    expect(readFileSync(deleted, 'utf8')).toBe(before);
    const rebuilt = second.lines.filter((l) => l.reason === 'ActionSucceeded' && l.partition === 'date=2026-11-19/campaign=2');
    expect(rebuilt).toHaveLength(1);
    // Converged was said after the repair, not from the saved state.
    const said = second.out.indexOf('converged in');
    expect(second.out.lastIndexOf('"ActionSucceeded"')).toBeLessThan(said);
  });
});
