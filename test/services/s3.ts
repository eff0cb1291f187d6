/**
 * A real S3 API server for tests: moto_server (PyPI `moto[server]`, installed once into a cached
 * virtualenv by hack/services/moto.sh) on a free port. It accepts any credentials; buckets live
 * in its memory and vanish with it.
 */
import { freePort, runScript, startChild, waitUntilReady } from './process.js';
import type { Unavailable } from './types.js';

export interface S3Server {
  available: true;
  /** e.g. `http://127.0.0.1:40123`: path-style addressing (forcePathStyle), as moto serves it. */
  endpoint: string;
  host: string;
  port: number;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /**
   * The environment a checker (or any AWS SDK client) needs to use this server: AWS_ENDPOINT_URL_S3,
   * AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, HOMEOSTAT_S3_FORCE_PATH_STYLE=true.
   */
  env: Record<string, string>;
  /** Stops the server (its buckets are gone). Idempotent. */
  stop(): Promise<void>;
}

export interface S3ServerOptions {
  /** The address to listen on. Defaults to 127.0.0.1. */
  host?: string;
  /** Defaults to 60 s (a cold start imports all of moto). */
  startTimeoutMs?: number;
}

/** Starts moto_server on a free port of `host`; resolves when it answers S3 requests. */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server | Unavailable> {
  const service = 'S3 (moto)';
  const binary = runScript('hack/services/moto.sh');
  if (!binary.ok) return { available: false, service, reason: binary.error };
  const host = options.host ?? '127.0.0.1';
  const port = await freePort(host);
  const child = startChild(binary.value, ['-H', host, '-p', String(port)], { ...process.env, PYTHONUNBUFFERED: '1' });
  const probeHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  const endpoint = `http://${probeHost}:${port}`;
  // GET / is ListBuckets: an S3 answer, not just an open port.
  const why = await waitUntilReady(child, async () => (await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2000) })).ok, options.startTimeoutMs ?? 60_000, 'moto_server');
  if (why !== undefined) {
    await child.stop('SIGKILL');
    return { available: false, service, reason: why };
  }
  const region = 'us-east-1';
  const accessKeyId = 'homeostat-test';
  const secretAccessKey = 'homeostat-test-secret';
  return {
    available: true,
    endpoint,
    host: probeHost,
    port,
    region,
    accessKeyId,
    secretAccessKey,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      HOMEOSTAT_S3_FORCE_PATH_STYLE: 'true',
    },
    stop: () => child.stop('SIGTERM', 5000),
  };
}
