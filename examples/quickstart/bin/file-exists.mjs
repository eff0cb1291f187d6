// file-exists: a StateChecker command. Reads the check request (JSON) on stdin and prints, for
// each partition, whether the file its `path` param names exists under the data directory.
// Homeostat has already substituted the partition's values into `path` ({{date}} -> 2026-11-18).
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

const data = process.env.HOMEOSTAT_DATA || '/tmp/homeostat-quickstart';
const request = JSON.parse(readFileSync(0, 'utf8'));

const results = request.partitions.map(({ key, params }) => {
  const path = params.path;
  if (!path || isAbsolute(path) || path.split('/').includes('..')) {
    return { key, state: 'unrecoverable', message: `params.path must be a relative path inside the data directory, not ${JSON.stringify(path)}` };
  }
  return existsSync(join(data, path)) ? { key, state: 'satisfied' } : { key, state: 'unsatisfied', message: `${path} does not exist` };
});

process.stdout.write(JSON.stringify({ results }));
