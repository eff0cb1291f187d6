/**
 * Lists an S3 bucket (or an S3-compatible store) under a prefix as SourceEntries: every *.yaml,
 * *.yml and *.json object, paginated with ListObjectsV2. The checksum is the ETag with the size
 * (a multipart upload's ETag is not an MD5 of the contents, but it changes with them); an object
 * is fetched with GetObject only when its checksum changed, by the caller's decision.
 *
 * Errors say what failed and where, with the SDK's error name and HTTP status; never a
 * credential (the SDK's messages do not carry them, and the request is not logged).
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { LookupFunction } from 'node:net';
import { GetObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { type SourceEntry, SourceUnreachable } from './model.js';
import { isDefinitionFile } from './parseFile.js';

export interface S3Location {
  bucket: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Objects larger than this are listed with a read that fails: a definition file is small. */
export const MAX_OBJECT_BYTES = 4 * 1024 * 1024;

/**
 * The client of one source; without credentials, the SDK's default chain (IRSA, instance roles).
 * `lookup` resolves the store's host for every connection (the controller passes one that refuses
 * the addresses its outbound policy refuses, so a source's `endpoint` cannot aim it at them).
 */
export function s3Client(location: S3Location, credentials?: S3Credentials, timeoutMs = 10_000, lookup?: LookupFunction): S3Client {
  const agents = lookup !== undefined ? { httpAgent: new HttpAgent({ keepAlive: true, lookup }), httpsAgent: new HttpsAgent({ keepAlive: true, lookup }) } : {};
  const config: S3ClientConfig = {
    region: location.region ?? 'us-east-1',
    ...(location.endpoint !== undefined ? { endpoint: location.endpoint } : {}),
    forcePathStyle: location.forcePathStyle ?? false,
    requestHandler: { requestTimeout: timeoutMs, connectionTimeout: Math.min(timeoutMs, 5000), ...agents },
    maxAttempts: 2,
    ...(credentials !== undefined ? { credentials } : {}),
  };
  return new S3Client(config);
}

export class S3Reader {
  /** GetObject calls since the reader was made (tests and the bench count them). */
  gets = 0;
  /** ListObjectsV2 calls since the reader was made. */
  lists = 0;

  constructor(
    private readonly client: S3Client,
    private readonly location: S3Location,
    private readonly pageSize = 1000,
  ) {}

  async list(): Promise<SourceEntry[]> {
    const { bucket } = this.location;
    const prefix = this.location.prefix ?? '';
    const entries: SourceEntry[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        this.lists++;
        page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: this.pageSize, ...(token !== undefined ? { ContinuationToken: token } : {}) }));
      } catch (error) {
        throw new SourceUnreachable('BucketUnreachable', `listing s3://${bucket}/${prefix} failed: ${describeS3Error(error)}`);
      }
      for (const object of page.Contents ?? []) {
        const key = object.Key;
        if (key === undefined || key.endsWith('/') || !isDefinitionFile(key)) continue;
        const path = key.slice(prefix.length).replace(/^\/+/, '');
        const size = object.Size ?? 0;
        const checksum = `etag:${(object.ETag ?? '').replace(/"/g, '')}:${size}`;
        const read = size > MAX_OBJECT_BYTES ? () => Promise.reject(new Error(`${size} bytes: larger than the ${MAX_OBJECT_BYTES} a definition may have`)) : () => this.get(key);
        entries.push({ path, checksum, read });
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return entries;
  }

  private async get(key: string): Promise<string> {
    this.gets++;
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key }));
      return (await answer.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      throw new Error(`GetObject s3://${this.location.bucket}/${key} failed: ${describeS3Error(error)}`);
    }
  }
}

/** The SDK error's name, HTTP status and first line: enough to act on, nothing secret. */
export function describeS3Error(error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  const status = e.$metadata?.httpStatusCode;
  const first = (e.message ?? String(error)).split('\n')[0] ?? '';
  return `${e.name ?? 'Error'}${status !== undefined ? ` (HTTP ${status})` : ''}${e.code !== undefined && e.code !== e.name ? ` ${e.code}` : ''}: ${first}`;
}
