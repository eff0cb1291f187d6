/**
 * The POST to an Http-mode checker, through node:http(s) rather than fetch: a connection's
 * address is checked by the CheckerUrlPolicy in the DNS lookup the socket itself uses, so the
 * address checked is the address connected to (a name that resolves to a public address for a
 * first look-up and to 169.254.169.254 for the next gains nothing). Redirects are not followed:
 * a 3xx is an answer like any other non-200 (the runner fails the batch with its status).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CheckerUrlPolicy } from './checkerUrlPolicy.js';

/** The error code of a destination the policy refused (the request was never sent). */
export const REFUSED_CODE = 'ECHECKERURLREFUSED';

export interface CheckerResponse {
  status: number;
  /** The body as text, at most `maxBytes` bytes plus one (so a caller can tell it was too large). */
  text: string;
}

export interface CheckerPostRequest {
  url: URL;
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
  maxBytes: number;
}

/** POSTs one request; rejects when no response came (network error, refused destination, aborted). */
export type CheckerPost = (request: CheckerPostRequest) => Promise<CheckerResponse>;

/** Thrown (as the request's error) for an address the policy refused. */
export class RefusedDestination extends Error {
  readonly code = REFUSED_CODE;
}

/** A DNS lookup that fails for a name any of whose addresses the policy refuses. */
export function guardedLookup(policy: CheckerUrlPolicy, resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { family: options.family ?? 0, hints: options.hints ?? 0, all: true }, (error, addresses: LookupAddress[]) => {
      if (error !== null) return callback(error, '', 0);
      // Every address, not only the first: the socket may try the others (happy eyeballs).
      for (const a of addresses) {
        const decision = policy.checkAddress(hostname, a.address);
        if (!decision.ok) return callback(Object.assign(new RefusedDestination(decision.reason), { errno: 0, syscall: 'lookup', hostname }), '', 0);
      }
      if (options.all === true) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (first === undefined) return callback(Object.assign(new Error(`${hostname} resolved to no address`), { code: 'ENOTFOUND', errno: 0, syscall: 'lookup', hostname }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** The POST the controller uses: every connection's address goes through `policy`. */
export function guardedPost(policy: CheckerUrlPolicy): CheckerPost {
  const lookup = guardedLookup(policy);
  return ({ url, headers, body, signal, maxBytes }) =>
    new Promise<CheckerResponse>((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      // agent: false: one connection per request, so a pooled socket never outlives the check of its address.
      const req = send(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup, signal, agent: false }, (res) => {
        readLimited(res, maxBytes).then((text) => resolve({ status: res.statusCode ?? 0, text }), reject);
      });
      req.on('error', reject);
      req.end(body);
    });
}

/** The body as text, at most `max` bytes plus one; the rest is not read (the connection is closed). */
function readLimited(res: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => resolve(Buffer.concat(chunks).toString('utf8').slice(0, max + 1));
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size > max) {
        res.destroy();
        done();
      }
    });
    res.on('end', done);
    res.on('error', reject);
  });
}
