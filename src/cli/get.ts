import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { LabelSelectorError, parseLabelSelector, type Requirement } from '../api/labelSelector.js';
import { GROUP, type KindDefinition, KINDS } from '../api/schema/index.js';
import { defaultStatusPath } from '../local/statusFile.js';
import { columnsOf, type ListedObject, wideColumnsOf } from './columns.js';
import { clusterObjects, contextNamespace, embeddedObjects, GetError, type Scope } from './getObjects.js';
import { formatList } from './listOutput.js';
import { type CliContext, type CliIo, ExitCode } from './program.js';
import { formatTable, humanAge } from './table.js';

export interface GetOptions {
  /** Embedded mode: the manifest directory `homeostat dev` runs on. */
  dir?: string;
  /** Embedded mode: the state file `homeostat dev --state` was given. */
  state?: string;
  /** Cluster mode (without dir and state): the kubeconfig; default as kubectl's. */
  kubeconfig?: string;
  namespace?: string;
  allNamespaces?: boolean;
  /** A label selector: `key=value,key!=value,key in (a,b)`. */
  selector?: string;
  /** wide, json or yaml; a table without. */
  output?: string;
  /** For AGE. Defaults to the current time. */
  now?: number;
}

const FORMATS = ['json', 'wide', 'yaml'];

/** `homeostat get KIND [-d DIR | --state FILE] [-l SELECTOR] [-o wide|yaml|json]`. */
export function register(program: Command, cli: CliContext): void {
  program
    .command('get')
    .description('Print what `kubectl get` would (the CRDs\' printer columns and REASON), from the cluster, or with -d/--state from the status `homeostat dev` writes.')
    .argument('<kind>', `one of ${KINDS.map((k) => [k.plural, ...k.shortNames.filter((s) => s !== k.singular)].join('/')).join(', ')}, or all`)
    .option('-d, --dir <dir>', 'embedded mode: the manifest directory `homeostat dev` runs on (reads DIR/.homeostat/status.json)')
    .option('--state <file>', 'embedded mode: the state file `homeostat dev --state` was given (reads status.json beside it)')
    .option('--kubeconfig <file>', 'cluster mode: the kubeconfig (default: $KUBECONFIG or ~/.kube/config, else in-cluster)')
    .option('-n, --namespace <namespace>', 'only this namespace (default: the kubeconfig context\'s, else default)')
    .option('-A, --all-namespaces', 'every namespace')
    .option('-l, --selector <selector>', 'only objects whose labels match: key=value, key!=value, key in (a,b), key notin (a,b), key, !key')
    .option('-o, --output <format>', 'wide (more columns: leases, retries, next step, message), yaml or json (the objects with their status, as a List)')
    .action(async (kind: string, options: GetOptions) => cli.setExitCode(await runGet(kind, options, cli)));
}

/** Resolves a kind as kubectl does: plural, singular, short name or kind, any case. */
export function kindsFor(name: string): KindDefinition[] | undefined {
  const wanted = name.toLowerCase().replace(new RegExp(`\\.${GROUP.replace('.', '\\.')}$`), '');
  if (wanted === 'all') return [...KINDS];
  const def = KINDS.find((k) => k.plural === wanted || k.singular === wanted || k.kind.toLowerCase() === wanted || k.shortNames.includes(wanted));
  return def === undefined ? undefined : [def];
}

/**
 * Prints one table per kind asked: NAME, the kind's columns, AGE (NAMESPACE first with
 * --all-namespaces; names as `kind.group/name` for `all`; wide columns after AGE), or one List of
 * every object with -o json|yaml. Usage for an unknown kind, output format or a selector that does
 * not parse; Failed when the objects cannot be read.
 */
export async function runGet(kind: string, options: GetOptions, io: CliIo): Promise<ExitCode> {
  const kinds = kindsFor(kind);
  if (kinds === undefined) {
    io.err(`error: the server doesn't have a resource type "${kind}"\n`);
    return ExitCode.Usage;
  }
  if (options.output !== undefined && !FORMATS.includes(options.output)) {
    io.err(`error: unable to match a printer suitable for the output format "${options.output}", allowed formats are: ${FORMATS.join(',')}\n`);
    return ExitCode.Usage;
  }
  let requirements: Requirement[];
  try {
    requirements = parseLabelSelector(options.selector ?? '');
  } catch (error) {
    if (!(error instanceof LabelSelectorError)) throw error;
    io.err(`error: -l: ${error.message}\n`);
    return ExitCode.Usage;
  }
  const embedded = options.dir !== undefined || options.state !== undefined;
  let found: Map<KindDefinition, ListedObject[]>;
  let namespace: string | undefined;
  try {
    namespace = options.allNamespaces === true ? undefined : (options.namespace ?? (embedded ? 'default' : contextNamespace(options.kubeconfig)));
    const scope: Scope = { namespace, selector: options.selector, requirements };
    if (embedded) {
      const path = options.state !== undefined ? join(dirname(resolve(options.state)), 'status.json') : defaultStatusPath(resolve(options.dir ?? '.'));
      found = embeddedObjects(path, kinds, scope);
    } else {
      found = await clusterObjects(options.kubeconfig, kinds, scope);
    }
  } catch (error) {
    if (!(error instanceof GetError)) throw error;
    io.err(`error: ${error.message}\n`);
    return ExitCode.Failed;
  }

  if (options.output === 'json' || options.output === 'yaml') {
    io.out(formatList([...found.values()].flat(), options.output));
    return ExitCode.Ok;
  }
  const now = options.now ?? Date.now();
  const tables: string[] = [];
  for (const [def, objects] of found) {
    if (objects.length === 0) continue;
    tables.push(formatTable(tableOf(def, objects, now, { withNamespace: namespace === undefined, qualified: kinds.length > 1, wide: options.output === 'wide' })));
  }
  if (tables.length === 0) {
    io.err(namespace === undefined ? 'No resources found\n' : `No resources found in ${namespace} namespace.\n`);
    return ExitCode.Ok;
  }
  io.out(tables.join('\n'));
  return ExitCode.Ok;
}

function tableOf(def: KindDefinition, objects: ListedObject[], now: number, how: { withNamespace: boolean; qualified: boolean; wide: boolean }): string[][] {
  const columns = columnsOf(def, how.wide);
  const wide = how.wide ? wideColumnsOf(def) : [];
  const header = [...(how.withNamespace ? ['NAMESPACE'] : []), 'NAME', ...columns.map((c) => c.header), 'AGE', ...wide.map((c) => c.header)];
  const rows = objects.map((o) => {
    const created = o.metadata.creationTimestamp !== undefined ? Date.parse(o.metadata.creationTimestamp) : Number.NaN;
    return [
      ...(how.withNamespace ? [o.metadata.namespace ?? ''] : []),
      how.qualified ? `${def.singular}.${GROUP}/${o.metadata.name}` : o.metadata.name,
      ...columns.map((c) => c.value(o, now)),
      Number.isNaN(created) ? '<unknown>' : humanAge(now - created),
      ...wide.map((c) => c.value(o, now)),
    ];
  });
  return [header, ...rows];
}
