/**
 * Where the controller may POST an Http-mode StateChecker's request (issue 10 item 7, SSRF).
 *
 * A StateChecker's author chooses its `url`, and the controller POSTs there from inside the
 * cluster with its own network position: without a policy anyone allowed to create a StateChecker
 * could make it call the cloud's metadata service, a sidecar on loopback or the API server. So
 * only http(s) is called, and these destinations are refused unless an administrator allows them
 * (`--checker-url-allow`, the chart's `checkerUrls.allow`):
 * - loopback (127.0.0.0/8, ::1) and unspecified addresses (0.0.0.0/8, ::), which reach the
 *   controller's own Pod;
 * - link-local (169.254.0.0/16 with the cloud metadata address 169.254.169.254, fe80::/10) and
 *   AWS's IPv6 metadata address fd00:ec2::254;
 * - the cluster's API server: the names kubernetes, kubernetes.default, kubernetes.default.svc[.*],
 *   and the hosts the controller itself reaches it by (KUBERNETES_SERVICE_HOST, the kubeconfig's server).
 *
 * Host names are checked twice: before any request (the names above, address literals), and at
 * connection time on every address the name resolves to (guardedLookup in checkerPost.ts), so a
 * name that resolves to a refused address, or that changes its answer between the two (DNS
 * rebinding), is refused before a byte is sent.
 */
import { BlockList, isIP } from 'node:net';

/** The flag that allows a destination; named in every refusal so an administrator knows what to change. */
export const ALLOW_FLAG = '--checker-url-allow';

/** `{ ok: true }`, or why a destination is refused. */
export type UrlDecision = { ok: true } | { ok: false; reason: string };

export interface CheckerUrlPolicyOptions {
  /**
   * What an administrator allows despite the refused ranges: CIDRs (`127.0.0.0/8`, `fd00::/8`),
   * single addresses, or host names (exact, case-insensitive; an allowed name skips the address
   * checks). Defaults to none.
   */
  allow?: readonly string[];
  /** The API server's host names and addresses, as the controller reaches it. Defaults to none (the well-known names are always refused). */
  apiServerHosts?: readonly (string | undefined)[];
}

/** Named ranges refused by default, in the order a refusal names them. */
const REFUSED: readonly { what: string; cidrs: readonly string[] }[] = [
  { what: 'a loopback address', cidrs: ['127.0.0.0/8', '::1/128'] },
  { what: 'an unspecified address', cidrs: ['0.0.0.0/8', '::/128'] },
  { what: 'a link-local address (cloud metadata services live there)', cidrs: ['169.254.0.0/16', 'fe80::/10'] },
  { what: 'a cloud metadata address', cidrs: ['fd00:ec2::254/128'] },
];

/** The API server's in-cluster names (any cluster domain after `kubernetes.default.svc.`). */
const API_SERVER_NAMES = /^kubernetes(\.default(\.svc(\..*)?)?)?$/;

export class CheckerUrlPolicy {
  private readonly refused = REFUSED.map(({ what, cidrs }) => ({ what, list: blockList(cidrs) }));
  private readonly allowedNets = new BlockList();
  private readonly allowedNames = new Set<string>();
  private readonly apiServerNames = new Set<string>();
  private readonly apiServerAddresses = new BlockList();

  private constructor(allow: readonly string[], apiServerHosts: readonly (string | undefined)[]) {
    for (const entry of allow) {
      const cidr = parseCidr(entry);
      if (cidr !== undefined) this.allowedNets.addSubnet(cidr.address, cidr.prefix, cidr.family);
      else this.allowedNames.add(normalHost(entry));
    }
    for (const host of apiServerHosts) {
      if (host === undefined || host === '') continue;
      const address = literal(host);
      if (address !== undefined) this.apiServerAddresses.addAddress(address.address, address.family);
      else this.apiServerNames.add(normalHost(host));
    }
  }

  /**
   * A policy, or what is wrong with an allow entry (`--checker-url-allow: "10.0.0.0/33" is not a
   * CIDR, an address or a host name`).
   */
  static create(options: CheckerUrlPolicyOptions = {}): { ok: true; value: CheckerUrlPolicy } | { ok: false; error: string } {
    const allow = options.allow ?? [];
    for (const entry of allow) {
      if (parseCidr(entry) === undefined && !HOST_NAME.test(entry)) return { ok: false, error: `${ALLOW_FLAG}: ${JSON.stringify(entry)} is not a CIDR, an address or a host name` };
    }
    return { ok: true, value: new CheckerUrlPolicy(allow, options.apiServerHosts ?? []) };
  }

  /** The default policy: nothing allowed beyond public and private addresses. */
  static strict(apiServerHosts: readonly (string | undefined)[] = []): CheckerUrlPolicy {
    return new CheckerUrlPolicy([], apiServerHosts);
  }

  /** Before any request: the scheme, the API server's names, and a host that is an address literal. */
  checkUrl(url: URL): UrlDecision {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: `only http and https are called, not ${url.protocol.replace(/:$/, '')}` };
    const host = normalHost(url.hostname);
    if (host === '') return { ok: false, reason: 'the url has no host' };
    if (this.allowedNames.has(host)) return { ok: true };
    const address = literal(host);
    if (address !== undefined) return this.checkAddress(host, address.address);
    if (API_SERVER_NAMES.test(host) || this.apiServerNames.has(host)) return refusal(host, "the cluster's API server");
    return { ok: true };
  }

  /** At connection time: one address `host` resolved to (or the host itself when it is an address). */
  checkAddress(host: string, address: string): UrlDecision {
    const name = normalHost(host);
    if (this.allowedNames.has(name)) return { ok: true };
    const parsed = literal(address);
    if (parsed === undefined) return { ok: false, reason: `${address} is not an IP address` };
    if (this.allowedNets.check(parsed.address, parsed.family)) return { ok: true };
    const shown = name === parsed.address ? name : `${name} (${parsed.address})`;
    const range = this.refused.find((r) => r.list.check(parsed.address, parsed.family));
    if (range !== undefined) return refusal(shown, range.what);
    if (this.apiServerAddresses.check(parsed.address, parsed.family)) return refusal(shown, "the cluster's API server");
    return { ok: true };
  }
}

const refusal = (shown: string, what: string): UrlDecision => ({ ok: false, reason: `${shown} is ${what}; an administrator can allow it with ${ALLOW_FLAG} (chart value checkerUrls.allow)` });

/** RFC 1123 host names (what an allow entry that is not an address must be). */
const HOST_NAME = /^(?=.{1,253}\.?$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\.?$/i;

/** Lower case, without a trailing dot, the brackets of an IPv6 literal in a URL, or an IPv6 zone (`fe80::1%eth0`). */
const normalHost = (host: string): string => host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').replace(/^([0-9a-f:.]+)%.*$/, '$1');

type Family = 'ipv4' | 'ipv6';

/** An address literal, with IPv4-mapped IPv6 (::ffff:127.0.0.1) read as the IPv4 address it is. */
function literal(host: string): { address: string; family: Family } | undefined {
  const bare = normalHost(host);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped !== null && isIP(mapped[1] as string) === 4) return { address: mapped[1] as string, family: 'ipv4' };
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(bare);
  if (hex !== null) {
    const n = (parseInt(hex[1] as string, 16) << 16) | parseInt(hex[2] as string, 16);
    return { address: [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.'), family: 'ipv4' };
  }
  const version = isIP(bare);
  return version === 0 ? undefined : { address: bare, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** `10.0.0.0/8`, `fd00::/8`, or a single address (a /32 or /128). */
function parseCidr(entry: string): { address: string; prefix: number; family: Family } | undefined {
  const [host = '', bits, ...rest] = entry.split('/');
  if (rest.length > 0) return undefined;
  const address = literal(host);
  if (address === undefined) return undefined;
  const max = address.family === 'ipv4' ? 32 : 128;
  if (bits === undefined) return { ...address, prefix: max };
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return undefined;
  return { ...address, prefix: Number(bits) };
}

function blockList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr) as NonNullable<ReturnType<typeof parseCidr>>;
    list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}
