/**
 * The serving certificate from files, reloaded when they change: cert-manager renews a
 * Certificate into its Secret, the kubelet swaps the mounted files (an atomic symlink flip), and
 * new connections get the new pair without a restart (tls.Server#setSecureContext). Connections
 * already open keep the pair they were made with.
 *
 * The files are re-read every `reloadIntervalMs` rather than watched: inotify on a Secret volume
 * sees the symlink flip only through the parent directory, and polling two small files is cheap.
 * A pair that does not load (a key that does not match the certificate, a file half-written by
 * hand) is logged and skipped; the last good pair keeps serving until the next good one.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import type { Logger } from '../runtime/log.js';

export interface TlsFiles {
  /** PEM certificate chain, leaf first (a kubernetes.io/tls Secret's tls.crt). */
  certFile: string;
  /** PEM private key (tls.key). */
  keyFile: string;
  /** How often the files are re-read. Defaults to 10 s. */
  reloadIntervalMs?: number;
}

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

/** Reads and checks the pair at start-up; throws with the file at fault. */
export function loadTlsFiles(files: TlsFiles): TlsPair {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${(error as Error).message}`);
    }
  };
  const pair = { cert: read(files.certFile, 'certificate'), key: read(files.keyFile, 'private key') };
  const problem = checkPair(pair);
  if (problem !== undefined) throw new Error(`the TLS certificate ${files.certFile} and key ${files.keyFile}: ${problem}`);
  return pair;
}

/**
 * Re-reads the files every reloadIntervalMs and hands a changed, loadable pair to `server`.
 * `onReload` is told after each swap (tests, logs). Returns stop().
 */
export function reloadTlsFiles(files: TlsFiles, first: TlsPair, server: TlsServer, log: Logger, onReload?: (pair: TlsPair) => void): () => void {
  let current = fingerprint(first);
  let skipped: string | undefined;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      let pair: TlsPair;
      try {
        pair = { cert: await readFile(files.certFile), key: await readFile(files.keyFile) };
      } catch (error) {
        log.warn({ certFile: files.certFile, keyFile: files.keyFile, err: (error as Error).message }, 'cannot re-read the TLS files; serving the previous certificate');
        return;
      }
      const seen = fingerprint(pair);
      if (seen === current || seen === skipped) return;
      const problem = checkPair(pair);
      if (problem !== undefined) {
        skipped = seen;
        log.warn({ certFile: files.certFile, keyFile: files.keyFile, problem }, 'the changed TLS files do not load; serving the previous certificate');
        return;
      }
      server.setSecureContext({ cert: pair.cert, key: pair.key });
      current = seen;
      log.info({ certFile: files.certFile, ...describeCert(pair.cert) }, 'TLS certificate reloaded');
      onReload?.(pair);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), files.reloadIntervalMs ?? 10_000);
  timer.unref();
  return () => clearInterval(timer);
}

/** Why the pair cannot serve, or undefined. */
function checkPair(pair: TlsPair): string | undefined {
  try {
    createSecureContext({ cert: pair.cert, key: pair.key });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The leaf certificate's subject and expiry, for the log. */
export function describeCert(cert: Buffer): { subject?: string; notAfter?: string } {
  try {
    const x509 = new X509Certificate(cert);
    return { subject: x509.subject, notAfter: new Date(x509.validTo).toISOString() };
  } catch {
    return {};
  }
}

const fingerprint = (pair: TlsPair) => createHash('sha256').update(pair.cert).update('\0').update(pair.key).digest('hex');
