// The checker-s3-objects program: a Job's container or an embedded-mode command (README.md).
import { S3Client } from '@aws-sdk/client-s3';
import { runChecker } from '@homeostat/checker-sdk';
import { s3ClientConfig, s3ObjectsCheck } from './check.js';

const client = new S3Client(s3ClientConfig(process.env));
await runChecker(s3ObjectsCheck(client));
client.destroy();
