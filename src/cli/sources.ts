/**
 * `homeostat sources`: every DefinitionSource of a namespace with what its last scan found (the
 * loader's get_status), the files with a problem under each; `homeostat sources scan NAME` asks
 * for a scan now (the homeostat.dev/scan-requested-at annotation, as kubectl annotate would).
 * With `-d DIR` (or `--state FILE`) it lists the sources `homeostat dev DIR` loads, from the
 * status.json it writes, in the same table.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { definitionSource } from '../api/schema/definitionSource.js';
import type { DefinitionSource } from '../api/types.js';
import { connect, describeError, mergePatch, resourceOf } from '../kube/client.js';
import { defaultStatusPath, type StatusDocument } from '../local/statusFile.js';
import { SCAN_REQUESTED_ANNOTATION } from '../sources/model.js';
import { type CliContext, type CliIo, ExitCode } from './program.js';
import { formatTable, humanAge, jsonPath } from './table.js';

export interface SourcesOptions {
  kubeconfig?: string;
  namespace?: string;
  /** Embedded mode: the manifest directory `homeostat dev` runs on (reads DIR/.homeostat/status.json). */
  dir?: string;
  /** Embedded mode: the state file `homeostat dev --state` was given (reads status.json beside it). */
  state?: string;
  /** For AGE and LAST SCAN. Defaults to the current time. */
  now?: number;
}

export function register(program: Command, cli: CliContext): void {
  const sources = program
    .command('sources')
    .description('List the DefinitionSources of a namespace with their last scan, and the files with a problem.')
    .option('--kubeconfig <file>', 'the kubeconfig (default: in-cluster, else $KUBECONFIG or ~/.kube/config)')
    .option('-n, --namespace <namespace>', 'the namespace', 'default')
    .option('-d, --dir <dir>', 'embedded mode: the directory `homeostat dev` runs on (reads DIR/.homeostat/status.json, not the cluster)')
    .option('--state <file>', 'embedded mode: the state file `homeostat dev --state` was given (reads status.json beside it)')
    .action(async (options: SourcesOptions) => cli.setExitCode(await listSources(options, cli)));
  sources
    .command('scan')
    .description('Ask a DefinitionSource to scan now.')
    .argument('<name>', 'the DefinitionSource')
    .option('--kubeconfig <file>', 'the kubeconfig')
    .option('-n, --namespace <namespace>', 'the namespace', 'default')
    .action(async (name: string, options: SourcesOptions) => cli.setExitCode(await scanNow(name, options, cli)));
}

export async function listSources(options: SourcesOptions, io: CliIo): Promise<ExitCode> {
  const namespace = options.namespace ?? 'default';
  let items: DefinitionSource[];
  if (options.dir !== undefined || options.state !== undefined) {
    const path = options.state !== undefined ? join(dirname(resolve(options.state)), 'status.json') : defaultStatusPath(resolve(options.dir ?? '.'));
    try {
      const doc = JSON.parse(readFileSync(path, 'utf8')) as StatusDocument;
      items = (doc.sources ?? []).filter((s) => s.metadata.namespace === namespace) as unknown as DefinitionSource[];
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      io.err(`error: ${path}: ${missing ? 'no status yet; run `homeostat dev` on the directory first' : (error as Error).message}\n`);
      return ExitCode.Failed;
    }
  } else {
    try {
      const clients = connect(options.kubeconfig);
      items = ((await clients.custom.listNamespacedCustomObject(resourceOf('definitionsources', namespace))) as { items: DefinitionSource[] }).items;
    } catch (error) {
      io.err(`error: listing DefinitionSources in ${namespace}: ${describeError(error)}\n`);
      return ExitCode.Failed;
    }
  }
  if (items.length === 0) {
    io.err(`No DefinitionSources found in ${namespace} namespace.\n`);
    return ExitCode.Ok;
  }
  const now = options.now ?? Date.now();
  const columns = definitionSource.printerColumns;
  const rows = [['NAME', 'WHERE', ...columns.map((c) => c.name.toUpperCase()), 'AGE']];
  const problems: string[] = [];
  for (const s of items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const where = s.spec.directory !== undefined ? s.spec.directory.path : `s3://${s.spec.s3?.bucket ?? ''}/${s.spec.s3?.prefix ?? ''}`;
    const cells = columns.map((c) => {
      const value = jsonPath(s, c.jsonPath);
      if (value === undefined) return '';
      return c.type === 'date' ? humanAge(now - Date.parse(String(value))) : String(value);
    });
    const created = s.metadata.creationTimestamp !== undefined ? humanAge(now - Date.parse(s.metadata.creationTimestamp)) : '';
    rows.push([s.metadata.name, where, ...cells, created]);
    const ready = s.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready !== undefined && ready.status !== 'True') problems.push(`${s.metadata.name}: not ready: ${ready.reason}: ${ready.message}`);
    for (const f of s.status?.files ?? []) if (f.problem !== undefined) problems.push(`${s.metadata.name}: ${f.path}: ${f.problem}`);
  }
  io.out(formatTable(rows));
  if (problems.length > 0) io.out(`\n${problems.join('\n')}\n`);
  return ExitCode.Ok;
}

export async function scanNow(name: string, options: SourcesOptions, io: CliIo): Promise<ExitCode> {
  const namespace = options.namespace ?? 'default';
  const value = new Date(options.now ?? Date.now()).toISOString();
  try {
    const clients = connect(options.kubeconfig);
    await clients.custom.patchNamespacedCustomObject({ ...resourceOf('definitionsources', namespace), name, body: { metadata: { annotations: { [SCAN_REQUESTED_ANNOTATION]: value } } } }, mergePatch());
  } catch (error) {
    io.err(`error: asking DefinitionSource ${namespace}/${name} to scan: ${describeError(error)}\n`);
    return ExitCode.Failed;
  }
  io.out(`definitionsource.homeostat.dev/${name} scan requested (${SCAN_REQUESTED_ANNOTATION}=${value})\n`);
  return ExitCode.Ok;
}
