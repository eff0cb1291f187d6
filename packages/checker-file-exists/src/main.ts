// The checker-file-exists program: a Job's container or an embedded-mode command (README.md).
import { runChecker } from '@homeostat/checker-sdk';
import { fileCheck, fileCheckConfig } from './check.js';

await runChecker(fileCheck(fileCheckConfig(process.env)));
