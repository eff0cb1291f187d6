import { readFileSync } from 'node:fs';
import type { Parsed } from '../api/duration.js';

/** Room for a chain of a few certificates; a bigger file is not a CA bundle meant for an env var. */
const MAX_CA_BYTES = 64 * 1024;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads the CA bundle actions are given to trust the controller: PEM certificates only (a key in
 * that file would be handed to every action Pod, so anything else is refused).
 */
export function readCaFile(path: string): Parsed<string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, error: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  if (text.length > MAX_CA_BYTES) return { ok: false, error: `${path} is ${text.length} bytes, more than ${MAX_CA_BYTES}: not a CA bundle` };
  if (/PRIVATE KEY-----/.test(text)) return { ok: false, error: `${path} holds a private key; give the CA certificate only` };
  const certificates = text.match(PEM_CERTIFICATE);
  if (certificates === null) return { ok: false, error: `${path} holds no PEM certificate` };
  return { ok: true, value: `${certificates.join('\n')}\n` };
}
