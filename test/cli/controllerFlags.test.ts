import { describe, expect, it } from '@jest/globals';
import * as controller from '../../src/cli/controller.js';
import { parseProtectedNamespaces, podPolicyOf } from '../../src/cli/podPolicyFlags.js';
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
    [['--ui-auth=off'], /--ui-auth.*expected token or none/],
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
    expect(out).toMatch(/--ui-auth <mode>[\s\S]*default: "token"/);
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

describe('homeostat controller: TLS flags', () => {
  const run = async (args: string[]) => {
    let err = '';
    const code = await runCli(['controller', ...args], [controller], { out: () => undefined, err: (t) => void (err += t) });
    return { code, err };
  };

  it.each([
    [['--tls-cert-file=/tls/tls.crt'], /--tls-cert-file and --tls-private-key-file go together/],
    [['--tls-private-key-file=/tls/tls.key'], /--tls-cert-file and --tls-private-key-file go together/],
    // Actions send their tokens to the advertised URL: it cannot be plain HTTP when the server is not.
    [['--tls-cert-file=/tls/tls.crt', '--tls-private-key-file=/tls/tls.key', '--advertise-url=http://homeostat.example:8080'], /--advertise-url: "http:\/\/homeostat.example:8080" must be https:\/\/ when --tls-cert-file is given/],
    [['--tls-reload-interval=often'], /--tls-reload-interval: "often" is not a duration/],
    [['--tls-reload-interval=0s'], /--tls-reload-interval: must be above 0/],
    [['--advertise-ca-file=/tls/ca.crt'], /--advertise-ca-file goes with --advertise-url/],
    [['--advertise-url=https://homeostat.example:8080', '--advertise-ca-file=/nonexistent/ca.crt'], /--advertise-ca-file: cannot read \/nonexistent\/ca.crt: ENOENT/],
  ])('%j is a usage error', async (args, message) => {
    const { code, err } = await run(args);
    expect(code).toBe(ExitCode.Usage);
    expect(err).toMatch(message);
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

describe('homeostat controller: --checker-url-allow', () => {
  it('takes a comma-separated list and repeated flags, each entry once', () => {
    expect(controller.collectList('127.0.0.1/32, metadata.internal', ['127.0.0.1/32'])).toEqual(['127.0.0.1/32', 'metadata.internal']);
  });

  it.each([['10.0.0.0/33'], ['not a host']])('refuses %j, naming the flag and the entry', async (value) => {
    let err = '';
    const code = await runCli(['controller', `--checker-url-allow=${value}`], [controller], { out: () => undefined, err: (t) => void (err += t) });
    expect(code).toBe(ExitCode.Usage);
    expect(err).toBe(`error: --checker-url-allow: ${JSON.stringify(value)} is not a CIDR, an address or a host name\n`);
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

describe('homeostat controller: --max-checks-in-flight', () => {
  it.each([['0'], ['many']])('refuses %j, naming the flag', async (value) => {
    let err = '';
    const code = await runCli(['controller', `--max-checks-in-flight=${value}`], [controller], { out: () => undefined, err: (t) => void (err += t) });
    expect(code).toBe(ExitCode.Usage);
    expect(err).toContain(`--max-checks-in-flight: ${JSON.stringify(value)} is not a positive whole number`);
  });

  it('--help lists it with its default', async () => {
    let out = '';
    await runCli(['controller', '--help'], [controller], { out: (t) => void (out += t), err: () => undefined });
    expect(out.replace(/\s+/g, ' ')).toMatch(/--max-checks-in-flight <n> checks in flight at once: checker Jobs running and Http checker requests unanswered.*\(default: 100\)/);
  });
});
