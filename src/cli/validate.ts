import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { checkGraph, GraphReason, type ObjectKey } from '../api/graphChecks.js';
import { type ManifestDocument, NOT_HOMEOSTAT, readManifests } from '../api/manifests.js';
import { DEFAULT_NAMESPACE } from '../api/schema/index.js';
import type { HomeostatObject } from '../api/types.js';
import { validateObject } from '../api/validate.js';
import { type CliContext, type CliIo, ExitCode } from './program.js';

/** `homeostat validate -f FILE|DIR`. */
export function register(program: Command, cli: CliContext): void {
  program
    .command('validate')
    .description('Check manifests without a cluster: schemas, CEL rules, durations, calendars, and the references and cycles between objects.')
    .requiredOption('-f, --filename <path>', 'a manifest file, or a directory read recursively for *.yaml and *.yml')
    .action(async (options: { filename: string }) => cli.setExitCode(await validateManifests(options.filename, cli)));
}

/**
 * Validates every Homeostat object under `path` and writes what is wrong, one line each:
 * YAML errors as `FILE:LINE:COLUMN: message`, object errors as `FILE[#N]: Kind/name: field: message`
 * (`#N` counts documents from 1 and is shown for files holding more than one), then the whole-graph
 * problems of the objects that passed. v1 ConfigMaps are read (for valuesFrom); any other document
 * that is not a Homeostat object is reported like a YAML error.
 * Resolves to Ok with a one-line summary when all is valid, Failed when anything is not (or no
 * Homeostat object was found), Usage when the path does not exist.
 */
export async function validateManifests(path: string, io: CliIo): Promise<ExitCode> {
  if (!existsSync(path)) {
    io.err(`error: ${path}: no such file or directory\n`);
    return ExitCode.Usage;
  }
  const set = await readManifests(path);
  const multi = new Set([...set.documents, ...set.others, ...set.errors].filter((d) => (d.index ?? 0) > 0).map((d) => d.file));
  const where = (doc: ManifestDocument) => (multi.has(doc.file) ? `${doc.file}#${doc.index + 1}` : doc.file);

  for (const e of set.errors) {
    io.out(`${[e.file, e.line, e.column].filter((part) => part !== undefined).join(':')}: ${e.message}\n`);
  }

  const invalid = new Set<ManifestDocument>();
  const valid: { doc: ManifestDocument; object: HomeostatObject }[] = [];
  const failedKeys = new Set<string>();
  const seen = new Map<string, ManifestDocument>();
  for (const doc of set.documents) {
    const result = validateObject(doc.object);
    if (!result.ok) {
      invalid.add(doc);
      failedKeys.add(idOf(rawKey(doc.object)));
      for (const e of result.errors) io.out(`${where(doc)}: ${label(rawKey(doc.object))}: ${e.path === '' ? '' : `${e.path}: `}${e.message}\n`);
      continue;
    }
    const key = idOf(rawKey(result.object));
    const first = seen.get(key);
    if (first !== undefined) {
      invalid.add(doc);
      io.out(`${where(doc)}: ${label(rawKey(result.object))}: defined again (first in ${where(first)})\n`);
      continue;
    }
    seen.set(key, doc);
    valid.push({ doc, object: result.object });
  }

  const docOf = new Map(valid.map(({ doc, object }) => [idOf(rawKey(object)), doc]));
  // A reference to an object that is present but invalid was reported with that object.
  const problems = checkGraph(valid.map((v) => v.object)).filter(
    (p) => !(p.reason === GraphReason.UnknownReference && p.ref !== undefined && failedKeys.has(idOf(p.ref))),
  );
  for (const p of problems) {
    const doc = docOf.get(idOf(p)) as ManifestDocument;
    invalid.add(doc);
    io.out(`${where(doc)}: ${label(p)}: ${p.message} (${p.reason})\n`);
  }

  const total = set.documents.length;
  if (total === 0 && set.errors.length === 0) {
    io.out(`no Homeostat objects in ${path}\n`);
    return ExitCode.Failed;
  }
  if (invalid.size === 0 && set.errors.length === 0) {
    io.out(`${plural(total, 'object')} valid\n`);
    return ExitCode.Ok;
  }
  const foreign = set.errors.filter((e) => e.message.startsWith(NOT_HOMEOSTAT)).length;
  const yaml = set.errors.length - foreign;
  const unreadable = `${yaml > 0 ? `, ${plural(yaml, 'YAML error')}` : ''}${foreign > 0 ? `, ${foreign} not Homeostat object${foreign === 1 ? '' : 's'}` : ''}`;
  io.out(`${invalid.size} of ${plural(total, 'object')} invalid${unreadable}\n`);
  return ExitCode.Failed;
}

/** Kind, namespace and name of a manifest as written, whether or not it is valid. */
function rawKey(object: Record<string, unknown> | HomeostatObject): ObjectKey {
  const metadata = (object.metadata ?? {}) as Record<string, unknown>;
  const text = (value: unknown, fallback: string) => (typeof value === 'string' && value !== '' ? value : fallback);
  return {
    kind: text(object.kind, '?') as ObjectKey['kind'],
    namespace: text(metadata.namespace, DEFAULT_NAMESPACE),
    name: text(metadata.name, '?'),
  };
}

const idOf = (key: ObjectKey) => `${key.kind}/${key.namespace}/${key.name}`;

/** `Kind/name`, with the namespace when it is not the default one: `Kind/namespace/name`. */
const label = (key: ObjectKey) => (key.namespace === DEFAULT_NAMESPACE ? `${key.kind}/${key.name}` : `${key.kind}/${key.namespace}/${key.name}`);

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
