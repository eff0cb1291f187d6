import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { GROUP, type KindDefinition, KINDS } from '../api/schema/index.js';
import { defaultStatusPath, type StatusDocument, type StoredObject } from '../local/statusFile.js';
import { type CliContext, type CliIo, ExitCode } from './program.js';
import { formatTable, humanAge, jsonPath } from './table.js';

export interface GetOptions {
  dir?: string;
  state?: string;
  namespace?: string;
  allNamespaces?: boolean;
  /** For AGE. Defaults to the current time. */
  now?: number;
}

/** `homeostat get KIND [-d DIR | --state FILE]`. */
export function register(program: Command, cli: CliContext): void {
  program
    .command('get')
    .description('Print what `kubectl get` would, from the status `homeostat dev` writes (same printer columns as the CRDs).')
    .argument('<kind>', `one of ${KINDS.map((k) => [k.plural, ...k.shortNames.filter((s) => s !== k.singular)].join('/')).join(', ')}, or all`)
    .option('-d, --dir <dir>', 'the manifest directory `homeostat dev` runs on (reads DIR/.homeostat/status.json)', '.')
    .option('--state <file>', 'the state file `homeostat dev --state` was given (reads status.json beside it)')
    .option('-n, --namespace <namespace>', 'only this namespace', 'default')
    .option('-A, --all-namespaces', 'every namespace')
    .action((kind: string, options: GetOptions) => cli.setExitCode(runGet(kind, options, cli)));
}

/** Resolves a kind as kubectl does: plural, singular, short name or kind, any case. */
export function kindsFor(name: string): KindDefinition[] | undefined {
  const wanted = name.toLowerCase().replace(new RegExp(`\\.${GROUP.replace('.', '\\.')}$`), '');
  if (wanted === 'all') return [...KINDS];
  const def = KINDS.find((k) => k.plural === wanted || k.singular === wanted || k.kind.toLowerCase() === wanted || k.shortNames.includes(wanted));
  return def === undefined ? undefined : [def];
}

/**
 * Prints one table per kind asked: NAME, the kind's printer columns, AGE (NAMESPACE first with
 * --all-namespaces; names as `kind.group/name` for `all`). Usage for an unknown kind; Failed
 * when there is no status file yet.
 */
export function runGet(kind: string, options: GetOptions, io: CliIo): ExitCode {
  const kinds = kindsFor(kind);
  if (kinds === undefined) {
    io.err(`error: the server doesn't have a resource type "${kind}"\n`);
    return ExitCode.Usage;
  }
  const path = options.state !== undefined ? join(dirname(resolve(options.state)), 'status.json') : defaultStatusPath(resolve(options.dir ?? '.'));
  let doc: StatusDocument;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as StatusDocument;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    io.err(`error: ${path}: ${missing ? 'no status yet; run `homeostat dev` on the directory first' : (error as Error).message}\n`);
    return ExitCode.Failed;
  }
  const now = options.now ?? Date.now();
  const inScope = (o: StoredObject) => options.allNamespaces === true || o.metadata.namespace === (options.namespace ?? 'default');
  const tables: string[] = [];
  for (const def of kinds) {
    const objects = doc.objects.filter((o) => o.kind === def.kind && inScope(o)).sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
    if (objects.length === 0) continue;
    tables.push(formatTable(tableOf(def, objects, now, options.allNamespaces === true, kinds.length > 1)));
  }
  if (tables.length === 0) {
    io.err(options.allNamespaces === true ? 'No resources found\n' : `No resources found in ${options.namespace ?? 'default'} namespace.\n`);
    return ExitCode.Ok;
  }
  io.out(tables.join('\n'));
  return ExitCode.Ok;
}

function tableOf(def: KindDefinition, objects: StoredObject[], now: number, withNamespace: boolean, qualified: boolean): string[][] {
  const columns = def.printerColumns.filter((c) => (c.priority ?? 0) === 0);
  const header = [...(withNamespace ? ['NAMESPACE'] : []), 'NAME', ...columns.map((c) => c.name.toUpperCase()), 'AGE'];
  const rows = objects.map((o) => {
    const created = o.metadata.creationTimestamp !== undefined ? Date.parse(o.metadata.creationTimestamp) : Number.NaN;
    return [
      ...(withNamespace ? [o.metadata.namespace] : []),
      qualified ? `${def.singular}.${GROUP}/${o.metadata.name}` : o.metadata.name,
      ...columns.map((c) => cell(jsonPath(o, c.jsonPath))),
      Number.isNaN(created) ? '<unknown>' : humanAge(now - created),
    ];
  });
  return [header, ...rows];
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '<none>';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
