import { describe, expect, it } from '@jest/globals';
import * as controller from '../../src/cli/controller.js';
import * as dev from '../../src/cli/dev.js';
import { ExitCode, runCli } from '../../src/cli/program.js';

describe('homeostat controller: leader election flags', () => {
  const run = async (args: string[]) => {
    let err = '';
    const code = await runCli(['controller', ...args], [controller], { out: () => undefined, err: (t) => void (err += t) });
    return { code, err };
  };

  it.each([
    [['--leader-elect=maybe'], /--leader-elect.*expected true or false/],
    [['--leader-election-renew-deadline=20s'], /renewDeadline must be shorter than leaseDuration/],
    [['--leader-election-retry-period=soon'], /--leader-election-retry-period: "soon" is not a duration/],
  ])('%j is a usage error', async (args, message) => {
    const { code, err } = await run(args);
    expect(code).toBe(ExitCode.Usage);
    expect(err).toMatch(message);
  });

  it('--help lists the flags and their defaults', async () => {
    let out = '';
    await runCli(['controller', '--help'], [controller], { out: (t) => void (out += t), err: () => undefined });
    expect(out).toMatch(/--leader-elect \[bool\][\s\S]*default: true/);
    expect(out).toMatch(/--leader-election-id <name>[\s\S]*default: "homeostat-controller"/);
    expect(out).toContain('--leader-election-lease-duration');
  });
});

describe('homeostat controller: --namespace', () => {
  it('takes a comma-separated list, repeated flags, and keeps each name once in order', () => {
    let names = controller.collectNamespaces('team-a, team-b', undefined);
    names = controller.collectNamespaces('team-c,team-a', names);
    expect(names).toEqual(['team-a', 'team-b', 'team-c']);
  });

  it.each([['Team_A'], [','], ['a,-b']])('refuses %j with the bad name', async (value) => {
    let err = '';
    const code = await runCli(['controller', `--namespace=${value}`], [controller], { out: () => undefined, err: (t) => void (err += t) });
    expect(code).toBe(ExitCode.Usage);
    expect(err).toMatch(/--namespace/);
    expect(err).toMatch(/not a namespace name|one or more namespace names/);
  });
});

describe('homeostat controller and dev: the node caps', () => {
  it.each([['controller'], ['dev']])('%s refuses a cap that is not a positive whole number, naming the flag', async (command) => {
    for (const [flag, value] of [['--max-nodes-per-object', '0'], ['--max-nodes-total', 'lots']]) {
      let err = '';
      const code = await runCli([command, ...(command === 'dev' ? ['.'] : []), `${flag}=${value}`], [controller, dev], { out: () => undefined, err: (t) => void (err += t) });
      expect(code).toBe(ExitCode.Usage);
      expect(err).toContain(`${flag}: ${JSON.stringify(value)} is not a positive whole number`);
    }
  });

  it('--help lists both caps with their defaults', async () => {
    let out = '';
    await runCli(['controller', '--help'], [controller], { out: (t) => void (out += t), err: () => undefined });
    expect(out.replace(/\s+/g, ' ')).toMatch(/--max-nodes-per-object <n> .*\(default: 400000\)/);
    expect(out.replace(/\s+/g, ' ')).toMatch(/--max-nodes-total <n> .*\(default: 600000\)/);
  });
});
