/**
 * The token a push checker, a loader or an action sends to Homeostat (`Authorization: Bearer`):
 * a projected ServiceAccount token for the audience `homeostat.dev`, which the controller accepts
 * and the API server refuses. Never the Pod's default token: that one is for the API server, the
 * controller refuses it, and handing it over would give whoever sees it the Pod's powers.
 *
 * The Pod mounts it (README.md, "Sending observations"):
 *   volumes: [{name: homeostat-token, projected: {sources: [{serviceAccountToken:
 *     {audience: homeostat.dev, expirationSeconds: 3600, path: token}}]}}]
 *   volumeMounts: [{name: homeostat-token, mountPath: /var/run/secrets/homeostat.dev/serviceaccount, readOnly: true}]
 */
import { readFile } from 'node:fs/promises';

/** The audience the controller accepts. */
export const TOKEN_AUDIENCE = 'homeostat.dev';
/** Where the token is read unless HOMEOSTAT_TOKEN_FILE says otherwise. */
export const HOMEOSTAT_TOKEN_PATH = '/var/run/secrets/homeostat.dev/serviceaccount/token';
/** The Pod's default token, for the API server: refused as a Homeostat token. */
const DEFAULT_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Reads the token, from $HOMEOSTAT_TOKEN_FILE or HOMEOSTAT_TOKEN_PATH. Read it before each request:
 * the kubelet replaces the file before the token expires. Throws with the path and what to mount
 * when it is absent or empty, or when it is the Pod's default token.
 */
export async function homeostatToken(env: Record<string, string | undefined> = process.env): Promise<string> {
  const path = env.HOMEOSTAT_TOKEN_FILE !== undefined && env.HOMEOSTAT_TOKEN_FILE !== '' ? env.HOMEOSTAT_TOKEN_FILE : HOMEOSTAT_TOKEN_PATH;
  if (path === DEFAULT_TOKEN_PATH) throw new Error(`HOMEOSTAT_TOKEN_FILE is the Pod's default token (${DEFAULT_TOKEN_PATH}), which is for the API server and refused by Homeostat: ${HOW}`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`no token for Homeostat at ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ${HOW}`);
  }
  const token = text.trim();
  if (token === '') throw new Error(`the token file ${path} is empty: ${HOW}`);
  return token;
}

const HOW = `mount a projected serviceAccountToken with audience ${TOKEN_AUDIENCE} at ${HOMEOSTAT_TOKEN_PATH} (or set HOMEOSTAT_TOKEN_FILE to where it is)`;
