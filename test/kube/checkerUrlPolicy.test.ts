// Where Http-mode checkers may be called (issue 10 item 7): the address policy on its own.
import { describe, expect, it } from '@jest/globals';
import { lookup as realLookup, type LookupAddress } from 'node:dns';
import { guardedLookup, REFUSED_CODE } from '../../src/kube/checkerPost.js';
import { CheckerUrlPolicy } from '../../src/kube/checkerUrlPolicy.js';

const policy = (allow: string[] = [], apiServerHosts: string[] = []) => {
  const created = CheckerUrlPolicy.create({ allow, apiServerHosts });
  if (!created.ok) throw new Error(created.error);
  return created.value;
};
const reasonFor = (url: string, p = policy()) => {
  const decision = p.checkUrl(new URL(url));
  return decision.ok ? 'allowed' : decision.reason;
};

describe('CheckerUrlPolicy: refused by default, before any request', () => {
  it.each([
    ['http://127.0.0.1:8080/check', '127.0.0.1 is a loopback address'],
    ['http://127.1.2.3/', '127.1.2.3 is a loopback address'],
    ['http://2130706433/', '127.0.0.1 is a loopback address'], // the URL parser reads decimal IPv4
    ['http://[::1]:9000/', '::1 is a loopback address'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 (127.0.0.1) is a loopback address'],
    ['http://0.0.0.0:8080/', '0.0.0.0 is an unspecified address'],
    ['http://[::]/', ':: is an unspecified address'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address (cloud metadata services live there)'],
    ['http://[fe80::1]/', 'fe80::1 is a link-local address'],
    ['http://[fd00:ec2::254]/', 'fd00:ec2::254 is a cloud metadata address'],
    ['https://kubernetes.default.svc/api', "kubernetes.default.svc is the cluster's API server"],
    ['https://kubernetes.default.svc.cluster.local./api', "kubernetes.default.svc.cluster.local is the cluster's API server"],
    ['https://KUBERNETES/', "kubernetes is the cluster's API server"],
    ['file:///etc/passwd', 'only http and https are called, not file'],
    ['ftp://files.example/x', 'only http and https are called, not ftp'],
  ])('%s: %s', (url, reason) => {
    expect(reasonFor(url)).toContain(reason);
  });

  it('names the flag and the chart value that allow a refused destination', () => {
    expect(reasonFor('http://127.0.0.1/')).toBe('127.0.0.1 is a loopback address; an administrator can allow it with --checker-url-allow (chart value checkerUrls.allow)');
  });

  it("refuses the API server's own address and name, as the controller reaches it", () => {
    const p = policy([], ['10.96.0.1', 'api.cluster.example']);
    expect(reasonFor('https://10.96.0.1:443/', p)).toContain("10.96.0.1 is the cluster's API server");
    expect(reasonFor('https://API.cluster.example:6443/', p)).toContain("api.cluster.example is the cluster's API server");
    expect(p.checkAddress('sneaky.example', '10.96.0.1')).toEqual({ ok: false, reason: expect.stringContaining("sneaky.example (10.96.0.1) is the cluster's API server") });
  });

  it.each(['http://checks.example/v1', 'https://10.1.2.3:8443/', 'http://192.168.0.10/', 'http://[2001:db8::1]/', 'http://172.16.0.1/'])('allows %s (public and private addresses)', (url) => {
    expect(reasonFor(url)).toBe('allowed');
  });
});

describe('CheckerUrlPolicy: what an administrator allows', () => {
  it('a CIDR allows the addresses in it, and only those', () => {
    const p = policy(['127.0.0.0/8', 'fe80::/10']);
    expect(reasonFor('http://127.0.0.1:1234/', p)).toBe('allowed');
    expect(reasonFor('http://[fe80::2]/', p)).toBe('allowed');
    expect(reasonFor('http://169.254.169.254/', p)).toContain('link-local');
  });

  it('a single address allows that address', () => {
    expect(reasonFor('http://127.0.0.1/', policy(['127.0.0.1']))).toBe('allowed');
    expect(reasonFor('http://127.0.0.2/', policy(['127.0.0.1']))).toContain('loopback');
  });

  it('a host name allows that name whatever it resolves to', () => {
    const p = policy(['metadata.google.internal']);
    expect(reasonFor('http://metadata.google.internal/computeMetadata/v1/', p)).toBe('allowed');
    expect(p.checkAddress('metadata.google.internal', '169.254.169.254')).toEqual({ ok: true });
    expect(p.checkAddress('other.example', '169.254.169.254').ok).toBe(false);
  });

  it.each(['10.0.0.0/33', '1.2.3.4/8/1', 'not a host', ''])('refuses the allow entry %j with the flag and the entry', (entry) => {
    expect(CheckerUrlPolicy.create({ allow: [entry] })).toEqual({ ok: false, error: `--checker-url-allow: ${JSON.stringify(entry)} is not a CIDR, an address or a host name` });
  });
});

describe('guardedLookup: the addresses a name resolves to, checked where the socket connects', () => {
  /** A resolver that answers `addresses` for every name (what a rebinding DNS server answers the second time). */
  const resolver = (addresses: LookupAddress[]) => ((_host: string, _options: unknown, callback: (e: null, a: LookupAddress[]) => void) => callback(null, addresses)) as unknown as typeof realLookup;
  const resolve = (addresses: LookupAddress[], all: boolean) =>
    new Promise<{ error?: NodeJS.ErrnoException; result?: unknown }>((done) =>
      guardedLookup(policy(), resolver(addresses))('checks.example', { all }, (error: NodeJS.ErrnoException | null, address: unknown, family?: number) =>
        done(error !== null ? { error } : { result: all ? address : { address, family } }),
      ),
    );

  it('passes a public address through to the socket', async () => {
    expect(await resolve([{ address: '203.0.113.7', family: 4 }], false)).toEqual({ result: { address: '203.0.113.7', family: 4 } });
    expect(await resolve([{ address: '203.0.113.7', family: 4 }], true)).toEqual({ result: [{ address: '203.0.113.7', family: 4 }] });
  });

  it('fails a name that resolves to the metadata address, naming both', async () => {
    const { error } = await resolve([{ address: '169.254.169.254', family: 4 }], false);
    expect(error?.code).toBe(REFUSED_CODE);
    expect(error?.message).toContain('checks.example (169.254.169.254) is a link-local address');
  });

  it('reads an IPv6 address with a zone (fe80::1%eth0) as the link-local address it is', () => {
    expect(policy().checkAddress('checks.example', 'fe80::1%eth0')).toEqual({ ok: false, reason: expect.stringContaining('checks.example (fe80::1) is a link-local address') });
  });

  it('fails a name if any of its addresses is refused, not only the first', async () => {
    const { error } = await resolve([{ address: '203.0.113.7', family: 4 }, { address: '::1', family: 6 }], true);
    expect(error?.message).toContain('checks.example (::1) is a loopback address');
  });
});
