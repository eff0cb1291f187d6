/**
 * Objects exist under a prefix of an S3 bucket (AWS, or any S3 API: MinIO, Ceph, moto).
 * Params (rendered per partition):
 * - `bucket` (required).
 * - `prefix` (optional, default the whole bucket): e.g. `clicks/date={{date}}/`.
 * - `minCount` (optional, default 1): at least this many objects must be there.
 * - `minBytes` (optional, default 0): per object: an object smaller than this does not count
 *   (a zero-byte `_SUCCESS` marker or a half-written part is not data).
 * - `minTotalBytes` (optional, default 0): the objects that count must add up to this much.
 * Keys ending in `/` (folder placeholders) never count.
 *
 * Verdicts: enough objects: satisfied; fewer: unsatisfied, saying how many were found; the bucket
 * does not exist, or its name is invalid, or a bad param: unrecoverable, with the reason. Anything
 * else (server unreachable, timeout, access denied, bad credentials, a bucket in another region)
 * throws: the partition stays unknown, never unsatisfied.
 */
import { ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { type CheckFunction, type CheckOutcome, integerParam, requiredParam } from '@homeostat/checker-sdk';

export interface S3CheckConfig {
  /** Keys per ListObjectsV2 page. Defaults to 1000, the most S3 answers. */
  pageSize?: number;
}

/**
 * The S3 client's config from the environment:
 * - AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL: a non-AWS endpoint (default: AWS's, from the region).
 * - AWS_REGION, else AWS_DEFAULT_REGION (default us-east-1).
 * - HOMEOSTAT_S3_FORCE_PATH_STYLE: `true` for path-style URLs (http://host/bucket/key), which
 *   MinIO and moto need. Defaults to true when an endpoint is set, else false.
 * - HOMEOSTAT_S3_TIMEOUT_MS: per request, default 10000; connecting: at most 5000.
 * Credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, web
 * identity (IRSA), the container or instance metadata, a profile); retries from AWS_MAX_ATTEMPTS.
 */
export function s3ClientConfig(env: Record<string, string | undefined>): S3ClientConfig {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const pathStyle = env.HOMEOSTAT_S3_FORCE_PATH_STYLE?.trim().toLowerCase();
  const timeout = Number(env.HOMEOSTAT_S3_TIMEOUT_MS) > 0 ? Number(env.HOMEOSTAT_S3_TIMEOUT_MS) : 10_000;
  return {
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ...(endpoint !== undefined ? { endpoint } : {}),
    forcePathStyle: pathStyle === undefined || pathStyle === '' ? endpoint !== undefined : pathStyle === 'true' || pathStyle === '1',
    requestHandler: { requestTimeout: timeout, connectionTimeout: Math.min(timeout, 5000) },
  };
}

/** The check function for runChecker, listing with `client`. */
export function s3ObjectsCheck(client: S3Client, config: S3CheckConfig = {}): CheckFunction {
  return (_partition, params) => checkObjects(client, params, config);
}

export async function checkObjects(client: S3Client, params: Record<string, string>, config: S3CheckConfig = {}): Promise<CheckOutcome> {
  const bucket = requiredParam(params, 'bucket');
  if (!bucket.ok) return { state: 'unrecoverable', message: bucket.message };
  const prefix = params.prefix ?? '';
  const minCount = integerParam(params, 'minCount', 1, 1);
  const minBytes = integerParam(params, 'minBytes', 0);
  const minTotalBytes = integerParam(params, 'minTotalBytes', 0);
  if (!minCount.ok) return { state: 'unrecoverable', message: minCount.message };
  if (!minBytes.ok) return { state: 'unrecoverable', message: minBytes.message };
  if (!minTotalBytes.ok) return { state: 'unrecoverable', message: minTotalBytes.message };
  const want = { count: minCount.value, bytes: minBytes.value, total: minTotalBytes.value };
  const where = `s3://${bucket.value}/${prefix}`;

  let count = 0;
  let total = 0;
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(new ListObjectsV2Command({ Bucket: bucket.value, Prefix: prefix, MaxKeys: config.pageSize ?? 1000, ContinuationToken: token }));
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'NoSuchBucket') return { state: 'unrecoverable', message: `the bucket ${bucket.value} does not exist` };
      if (name === 'InvalidBucketName') return { state: 'unrecoverable', message: `${JSON.stringify(bucket.value)} is not a valid bucket name` };
      throw new Error(`listing ${where}: ${describe(error)}`, { cause: error });
    }
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined || object.Key.endsWith('/') || (object.Size ?? 0) < want.bytes) continue;
      count++;
      total += object.Size ?? 0;
    }
    // Enough is enough: a big prefix is not listed to its end.
    if (count >= want.count && total >= want.total) return 'satisfied';
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);

  if (count === 0) return { state: 'unsatisfied', message: `no object${want.bytes > 0 ? ` of at least ${want.bytes} bytes` : ''} under ${where}` };
  if (count < want.count) return { state: 'unsatisfied', message: `${count} objects${want.bytes > 0 ? ` of at least ${want.bytes} bytes` : ''} under ${where}, fewer than ${want.count}` };
  return { state: 'unsatisfied', message: `the objects under ${where} hold ${total} bytes, fewer than ${want.total}` };
}

/** An SDK error in a line: its name and HTTP status when it is the server's answer, and its message. */
function describe(error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  // Network errors come wrapped ("AWS SDK error wrapper for Error: connect ECONNREFUSED ..."): the inner one says it.
  const message = (e.message ?? String(error)).replace(/^AWS SDK error wrapper for (Error: )?/, '');
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined && (e.name === undefined || e.name === 'Error')) return message;
  return `${e.name ?? 'Error'}${status !== undefined ? ` (HTTP ${status})` : ''}: ${message}`;
}
