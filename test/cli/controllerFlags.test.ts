import { describe, expect, it } from '@jest/globals';
import * as controller from '../../src/cli/controller.js';
import { parseProtectedNamespaces, podPolicyOf } from '../../src/cli/podPolicyFlags.js';
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

describe('homeostat controller: the pod policy flags', () => {
  it("protects the controller's own namespace unless --protected-namespaces says otherwise", () => {
    expect(podPolicyOf({}, 'homeostat-system')).toEqual({ protectedNamespaces: ['homeostat-system'], serviceAccounts: [], allow: [], capabilities: [] });
    expect(podPolicyOf({ protectedNamespaces: parseProtectedNamespaces('') }, 'homeostat-system').protectedNamespaces).toEqual([]);
    expect(podPolicyOf({ protectedNamespaces: parseProtectedNamespaces('kube-system, homeostat-system') }, undefined).protectedNamespaces).toEqual(['kube-system', 'homeostat-system']);
  });

  it.each([
    [['--allowed-service-accounts=loader'], /"loader" is not namespace\/name/],
    [['--pod-policy-allow=hostPath,root'], /"root" is not one of hostNetwork, hostPID, hostIPC, hostPath, hostPorts, privileged/],
    [['--protected-namespaces=Kube_System'], /"Kube_System" is not a namespace name/],
  ])('%j is a usage error', async (args, message) => {
    let err = '';
    const code = await runCli(['controller', ...args], [controller], { out: () => undefined, err: (t) => void (err += t) });
    expect(code).toBe(ExitCode.Usage);
    expect(err).toMatch(message);
  });
});
