// Throwaway certificates for the TLS tests, made with openssl, and how to see what a server serves.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';

export interface CertFiles {
  cert: string;
  key: string;
}

/** A self-signed EC certificate for 127.0.0.1 with common name `cn`, as cert.pem/key.pem in `dir` (written under `name`). */
export function selfSigned(dir: string, name: string, cn: string): CertFiles {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', files.key, '-out', files.cert, '-days', '1', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return files;
}

/** Puts `from` in place of `to`, each file by an atomic rename, as a Secret volume's update appears to a reader. */
export function install(from: CertFiles, to: CertFiles): void {
  renameSync(from.key, to.key);
  renameSync(from.cert, to.cert);
}

/** The common name of the certificate a new TLS connection to 127.0.0.1:`port` is served. */
export function servedCommonName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      resolve(cert === undefined ? '' : (/CN=([^\n,]+)/.exec(cert.subject)?.[1] ?? ''));
    });
    socket.on('error', reject);
  });
}

export const commonName = (file: string) => /CN=([^\n,]+)/.exec(new X509Certificate(readFileSync(file)).subject)?.[1];
