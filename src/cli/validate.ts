import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { checkGraph, GraphReason, type ObjectKey } from '../api/graphChecks.js';
import { type ManifestDocument, NOT_HOMEOSTAT, readManifests } from '../api/manifests.js';
import { readCompactJson } from './compactJson.js';
import { DEFAULT_NAMESPACE } from '../api/schema/index.js';
import type { HomeostatObject } from '../api/types.js';
import { validateObject } from '../api/validate.js';
import { checkPodPolicy, POD_FEATURES, type PodPolicy } from '../api/podPolicy.js';
import { parseCapabilities, parsePodFeatures, parseProtectedNamespaces, parseServiceAccounts, podPolicyOf, type PodPolicyFlags } from './podPolicyFlags.js';
import { type CliContext, type CliIo, ExitCode } from './program.js';

/** `homeostat validate -f FILE|DIR [--with DIR]`. */
export function register(program: Command, cli: CliContext): void {
  program
    .command('validate')
    .description('Check manifests without a cluster: schemas, CEL rules, durations, calendars, and the references and cycles between objects.')
    .requiredOption('-f, --filename <path>', 'a manifest file, or a directory read recursively for *.yaml and *.yml')
    .option('--with <dir>', "check -f in the context of DIR's objects (its directory, say): references to them resolve, and only -f's problems are reported")
    .option('--pod-policy', "also check the controller's pod policy (implied by the policy flags below; default: only the default service account, no host or privilege features)")
    .option('--protected-namespaces <namespaces>', 'as the controller flag: refuse objects in these namespaces', parseProtectedNamespaces)
    .option('--allowed-service-accounts <list>', 'as the controller flag: namespace/name or */name, comma-separated', parseServiceAccounts)
    .option('--pod-policy-allow <features>', `as the controller flag: ${POD_FEATURES.join(', ')}`, parsePodFeatures)
    .option('--allowed-capabilities <capabilities>', 'as the controller flag: capabilities containers may add', parseCapabilities)
    .action(async (options: { filename: string; with?: string; podPolicy?: boolean } & PodPolicyFlags) => {
      const policyAsked = options.podPolicy === true || [options.protectedNamespaces, options.allowedServiceAccounts, options.podPolicyAllow, options.allowedCapabilities].some((f) => f !== undefined);
      cli.setExitCode(await validateManifests(options.filename, cli, { ...(options.with !== undefined ? { context: options.with } : {}), ...(policyAsked ? { podPolicy: podPolicyOf(options, undefined) } : {}) }));
    });
}

/** Objects read only so that references resolve to them (`--with DIR`). */
interface Context {
  /** Valid objects not declared by what is validated, each with its file. */
  objects: { object: HomeostatObject; file: string }[];
  /** Objects present but not valid, by id, with their file: a reference to one says so. */
  invalid: Map<string, string>;
}

/**
 * Validates every Homeostat object under `path` and writes what is wrong, one line each:
 * YAML errors as `FILE:LINE:COLUMN: message`, object errors as `FILE[#N]: Kind/name: field: message`
 * (`#N` counts documents from 1 and is shown for files holding more than one), then the whole-graph
 * problems of the objects that passed. v1 ConfigMaps are read (for valuesFrom); any other document
 * that is not a Homeostat object is reported like a YAML error.
 * With `podPolicy`, what that pod policy refuses is reported too (api/podPolicy.ts).
 * With `context` (`--with DIR`), DIR's objects are read too, so that references to them resolve;
 * only the problems of `path`'s objects are reported, and an object `path` declares that DIR
 * declares in another file is reported (`homeostat dev DIR` would keep only one).
 * Resolves to Ok with a one-line summary when all is valid, Failed when anything is not (or no
 * Homeostat object was found), Usage when a path does not exist.
 */
export async function validateManifests(path: string, io: CliIo, options: { context?: string; podPolicy?: PodPolicy } = {}): Promise<ExitCode> {
  for (const p of [path, ...(options.context !== undefined ? [options.context] : [])]) {
    if (existsSync(p)) continue;
    io.err(`error: ${p}: no such file or directory\n`);
    return ExitCode.Usage;
  }
  const set = await readManifests(path, readCompactJson);
  const context = options.context !== undefined ? await readContext(options.context, new Set(set.documents.map((d) => resolve(d.file)))) : undefined;
  const contextFile = new Map(context?.objects.map(({ object, file }) => [idOf(rawKey(object)), file]));
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
    const elsewhere = contextFile.get(key);
    if (elsewhere !== undefined) {
      invalid.add(doc);
      io.out(`${where(doc)}: ${label(rawKey(result.object))}: also defined in ${elsewhere}\n`);
      continue;
    }
    valid.push({ doc, object: result.object });
  }

  const docOf = new Map(valid.map(({ doc, object }) => [idOf(rawKey(object)), doc]));
  // A reference to an object that is present but invalid was reported with that object.
  // Context objects take part in the graph, but only the problems of what is validated are shown.
  const problems = checkGraph([...valid.map((v) => v.object), ...(context?.objects.map((c) => c.object) ?? [])]).filter(
    (p) => docOf.has(idOf(p)) && !(p.reason === GraphReason.UnknownReference && p.ref !== undefined && failedKeys.has(idOf(p.ref))),
  );
  // What the controller would refuse under the administrator's pod policy (--pod-policy).
  const refused = options.podPolicy !== undefined ? checkPodPolicy(valid.map((v) => v.object), options.podPolicy) : [];
  for (const p of [...problems, ...refused]) {
    const doc = docOf.get(idOf(p)) as ManifestDocument;
    invalid.add(doc);
    const ref = (p as { ref?: ObjectKey }).ref;
    const brokenIn = ref !== undefined ? context?.invalid.get(idOf(ref)) : undefined;
    io.out(`${where(doc)}: ${label(p)}: ${p.message}${brokenIn !== undefined ? `; ${brokenIn} declares it, but it is not valid` : ''} (${p.reason})\n`);
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

/**
 * The objects under `dir` that references may name, leaving out the files in `validated` (FILE
 * may be inside DIR). Their own problems are not reported: DIR is context, not what is checked.
 * The first valid copy of an object wins, as in `homeostat dev`.
 */
async function readContext(dir: string, validated: ReadonlySet<string>): Promise<Context> {
  const context: Context = { objects: [], invalid: new Map() };
  const seen = new Set<string>();
  for (const doc of (await readManifests(dir, readCompactJson)).documents) {
    if (validated.has(resolve(doc.file))) continue;
    const result = validateObject(doc.object);
    if (!result.ok) {
      context.invalid.set(idOf(rawKey(doc.object)), doc.file);
      continue;
    }
    const key = idOf(rawKey(result.object));
    if (seen.has(key)) continue;
    seen.add(key);
    context.objects.push({ object: result.object, file: doc.file });
  }
  return context;
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
