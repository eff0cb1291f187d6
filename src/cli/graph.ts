import type { Command } from 'commander';
import { buildGraph, type Graph } from '../view/graph.js';
import { graphDot, graphMermaid } from '../view/graphText.js';
import { tryParseLabelSelector as parseSelector } from '../api/labelSelector.js';
import { type CliContext, type CliIo, ExitCode } from './program.js';
import { askServer, loadViewObjects, type ObjectsFrom, type ServerOptions } from './viewObjects.js';

export interface GraphOptions extends ObjectsFrom, ServerOptions {
  output?: string;
  selector?: string;
  allNamespaces?: boolean;
}

/** `homeostat graph [-o dot|mermaid|json] [-n NS | -A] [-l SELECTOR] [-d DIR | --kubeconfig F]`. */
export function register(program: Command, cli: CliContext): void {
  program
    .command('graph')
    .description('Print the dependency graph of StateCheckers, Expectations, Dags (with their tasks) and DagDependencies, with phases from their statuses: from a cluster (your kubeconfig), or with -d from what `homeostat dev` wrote.')
    .option('-o, --output <format>', 'dot, mermaid or json', 'dot')
    .option('-d, --dir <dir>', 'the manifest directory `homeostat dev` runs on (reads DIR/.homeostat/status.json) instead of a cluster')
    .option('--state <file>', 'the state file `homeostat dev --state` was given (reads status.json beside it)')
    .option('--kubeconfig <file>', 'the kubeconfig (default: $KUBECONFIG or ~/.kube/config)')
    .option('-n, --namespace <namespace>', 'only this namespace', 'default')
    .option('-A, --all-namespaces', 'every namespace')
    .option('-l, --selector <selector>', 'only objects whose labels match, as kubectl -l (a=b,c!=d,e in (x,y))')
    .option('--server <url>', "ask a read API instead (`homeostat dev --ui-addr`, or a controller's port, port-forwarded)")
    .option('--token <token>', 'the bearer token for --server (default: $HOMEOSTAT_TOKEN)')
    .action(async (options: GraphOptions) => cli.setExitCode(await runGraph(options, cli)));
}

export async function runGraph(options: GraphOptions, io: CliIo): Promise<ExitCode> {
  const format = options.output ?? 'dot';
  if (!['dot', 'mermaid', 'json'].includes(format)) {
    io.err(`error: -o ${format}: expected dot, mermaid or json\n`);
    return ExitCode.Usage;
  }
  const selector = options.selector !== undefined ? parseSelector(options.selector) : undefined;
  if (selector !== undefined && !selector.ok) {
    io.err(`error: -l: ${selector.error}\n`);
    return ExitCode.Usage;
  }
  const namespace = options.allNamespaces === true ? undefined : (options.namespace ?? 'default');
  let graph: Graph;
  if (options.server !== undefined) {
    const query = new URLSearchParams({ ...(namespace !== undefined ? { namespace } : {}), ...(options.selector !== undefined ? { labelSelector: options.selector } : {}) }).toString();
    const answer = await askServer<Graph>({ ...options, server: options.server }, `/api/v1/graph${query !== '' ? `?${query}` : ''}`);
    if (!answer.ok) {
      io.err(`error: ${answer.error}\n`);
      return ExitCode.Failed;
    }
    graph = answer.value;
  } else {
    const objects = await loadViewObjects({ ...options, ...(namespace !== undefined ? { namespace } : {}) });
    if (!objects.ok) {
      io.err(`error: ${objects.error}\n`);
      return ExitCode.Failed;
    }
    graph = buildGraph(objects.value, { ...(namespace !== undefined ? { namespace } : {}), ...(selector?.ok === true ? { selector: selector.value } : {}) });
  }
  io.out(format === 'json' ? `${JSON.stringify(graph, null, 2)}\n` : format === 'mermaid' ? graphMermaid(graph) : graphDot(graph));
  return ExitCode.Ok;
}
