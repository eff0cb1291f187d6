#!/usr/bin/env node
// The entry of the `homeostat` command (package.json `bin`, the Makefile, the image). It checks
// the Node version before anything else is loaded: static imports are hoisted, and on an older
// Node the Kubernetes client crashes while loading, with a stack trace instead of a reason. So
// this file imports only the check, and the command itself (homeostat.ts) dynamically.
import { nodeVersionProblem } from './nodeVersion.js';

const problem = nodeVersionProblem(process.versions.node, process.execPath);
if (problem !== undefined) {
  process.stderr.write(problem);
  process.exitCode = 1;
} else {
  await import('./homeostat.js');
}
