import { bool, duration, int, list, name, obj, str } from './builders.js';
import { conditions, observedGeneration } from './common.js';
import type { KindDefinition } from './kind.js';

/** At most this many files are listed in a source's status; the rest are counted in filesNotShown. */
export const MAX_LISTED_FILES = 100;

const time = (what: string) => str(what, { format: 'date-time', maxLength: 64 });

const directory = obj(
  'Read every *.yaml, *.yml and *.json file under a directory of the controller Pod (recursively; names starting with a dot are skipped): a ConfigMap volume, or the emptyDir a git-sync sidecar writes. The administrator allows the directories sources may read (the chart\'s sources.directoryRoots); any other path is refused.',
  { path: str('An absolute path in the controller Pod.', { minLength: 1, maxLength: 1024, pattern: '^/' }) },
  ['path'],
);

const s3 = obj(
  'Read every *.yaml, *.yml and *.json object of an S3 bucket (or an S3-compatible store) under a prefix.',
  {
    bucket: str('The bucket name.', { minLength: 3, maxLength: 63 }),
    prefix: str('Only objects whose key starts with this are read, e.g. dags/. Defaults to the whole bucket.', { maxLength: 1024 }),
    endpoint: str('The endpoint of an S3-compatible store (https://minio.example:9000). Defaults to AWS for the region.', { maxLength: 2048, pattern: '^https?://' }),
    region: str('The region. Defaults to us-east-1.', { maxLength: 64 }),
    forcePathStyle: bool('Address the bucket in the path (endpoint/bucket/key) rather than in the host name, as most S3-compatible stores need. Defaults to false.'),
    credentialsSecretRef: obj(
      'A Secret of this namespace holding the access key pair (keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, optionally AWS_SESSION_TOKEN). The Secret must allow this source: its annotation homeostat.dev/definition-sources lists the names of the sources that may use it (or *). Without a ref, the SDK\'s default chain (IRSA, instance roles) is used.',
      { name: name('The Secret name.') },
      ['name'],
    ),
  },
  ['bucket'],
);

const fileEntry = obj('One file (or S3 object) of the last scan.', {
  path: str('The path under the directory or the key under the prefix.', { maxLength: 1024 }),
  checksum: str('sha256 of a file; ETag and size of an S3 object.', { maxLength: 128 }),
  objects: list('The objects it holds, as Kind/name.', str('Kind/name.', { maxLength: 300 }), { maxItems: 50 }),
  problem: str('Why the file is not applied (its last good objects stay as they were).', { maxLength: 4096 }),
}, ['path']);

export const definitionSource: KindDefinition = {
  kind: 'DefinitionSource',
  plural: 'definitionsources',
  singular: 'definitionsource',
  // Not `ds`: that is DaemonSet's short name, and kubectl would answer with daemon sets.
  shortNames: ['hds'],
  description:
    'Where definitions come from: a directory or an S3 bucket scanned on an interval. Files whose checksum changed are read, validated and applied with server-side apply (field manager homeostat-loader) into this namespace; only Homeostat kinds are applied. The objects of a removed file are suspended (or deleted, or left alone).',
  spec: obj(
    'Where to read and how often.',
    {
      directory,
      s3,
      interval: duration('How often the source is scanned. Defaults to 30s. Set the annotation homeostat.dev/scan-requested-at to any new value to scan at once.', '30s'),
      prune: str(
        'What happens to the objects of a file that is gone: Suspend (the default: Dags and Expectations get spec.suspend true and keep their history; putting the file back resumes them), Delete, or Orphan (left as they are).',
        { enum: ['Suspend', 'Delete', 'Orphan'], default: 'Suspend', maxLength: 16 },
      ),
      suspend: bool('Stop scanning; the objects applied stay as they are. Defaults to false.', { default: false }),
    },
    [],
    { 'x-kubernetes-validations': [{ rule: 'has(self.directory) != has(self.s3)', message: 'give exactly one of directory or s3' }] },
  ),
  status: obj('What the last scan found and did.', {
    observedGeneration,
    lastScanTime: time('When the last scan ended.'),
    revision: str('A digest of every file\'s path and checksum: it changes when any file does.', { maxLength: 80 }),
    lastScanRequest: str('The value of the homeostat.dev/scan-requested-at annotation the last scan answered.', { maxLength: 253 }),
    counts: obj('What the last scan counted.', {
      files: int('Files (or objects) found.', { minimum: 0 }),
      objects: int('Homeostat objects applied from them and kept up to date.', { minimum: 0 }),
      problems: int('Files not applied because of a problem.', { minimum: 0 }),
      suspended: int('Objects suspended because their file is gone.', { minimum: 0 }),
    }),
    files: list(`The files, those with a problem first (at most ${MAX_LISTED_FILES}; see filesNotShown).`, fileEntry, { maxItems: MAX_LISTED_FILES }),
    filesNotShown: int('How many more files there are than files lists.', { minimum: 0 }),
    conditions,
  }),
  printerColumns: [
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Whether the last scan reached the source (the Ready condition says why not).' },
    { name: 'Files', type: 'integer', jsonPath: '.status.counts.files', description: 'Files found.' },
    { name: 'Objects', type: 'integer', jsonPath: '.status.counts.objects', description: 'Objects applied.' },
    { name: 'Problems', type: 'integer', jsonPath: '.status.counts.problems', description: 'Files not applied.' },
    { name: 'Last Scan', type: 'date', jsonPath: '.status.lastScanTime', description: 'When the last scan ended.' },
  ],
};
