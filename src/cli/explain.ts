import type { Command } from 'commander';
import { explanationText } from '../view/explain.js';
import { explainFromStatus } from '../view/statusExplain.js';
import { type CliContext, type CliIo, ExitCode } from './program.js';
import { askServer, loadViewObjects, type ObjectsFrom, type ServerOptions } from './viewObjects.js';
import type { Explanation } from '../view/explain.js';

export interface ExplainOptions extends ObjectsFrom, ServerOptions {
  partition?: string;
}

/** `homeostat explain KIND/NAME [--partition KEY] [-n NS] [-d DIR | --kubeconfig F]`. */
export function register(program: Command, cli: CliContext): void {
  program
    .command('explain')
    .description('Print why a Dag or an Expectation is not satisfied, as an indented tree down to the root causes (failed or unsatisfied inputs, their messages, leases and retries), from the statuses: of a cluster (your kubeconfig), or with -d of what `homeostat dev` wrote. The controller\'s /api/v1/explain walks its engine deeper.')
    .argument('<object>', 'KIND/NAME: dag/NAME or expectation/NAME')
    .option('--partition <key>', "the partition (Expectation: date=2026-03-09/campaign=7) or period (Dag) to explain (default: the object's first failed or waiting one)")
    .option('-n, --namespace <namespace>', 'the namespace', 'default')
    .option('-d, --dir <dir>', 'the manifest directory `homeostat dev` runs on (reads DIR/.homeostat/status.json) instead of a cluster')
    .option('--state <file>', 'the state file `homeostat dev --state` was given (reads status.json beside it)')
    .option('--kubeconfig <file>', 'the kubeconfig (default: $KUBECONFIG or ~/.kube/config)')
    .option('--server <url>', "ask a read API instead (`homeostat dev --ui-addr`, or a controller's port, port-forwarded): its engine walks the whole chain")
    .option('--token <token>', 'the bearer token for --server (default: $HOMEOSTAT_TOKEN), e.g. $(kubectl create token NAME --audience homeostat.dev)')
    .action(async (object: string, options: ExplainOptions) => cli.setExitCode(await runExplain(object, options, cli)));
}

export async function runExplain(object: string, options: ExplainOptions, io: CliIo): Promise<ExitCode> {
  const m = /^(dag|dags|expectation|expectations|exp)\/([^/]+)$/i.exec(object);
  if (m === null) {
    io.err(`error: ${JSON.stringify(object)}: expected KIND/NAME, like dag/enrich or expectation/raw\n`);
    return ExitCode.Usage;
  }
  const kind = (m[1] as string).toLowerCase().startsWith('dag') ? 'Dag' : 'Expectation';
  const namespace = options.namespace ?? 'default';
  const name = m[2] as string;
  if (options.server !== undefined) {
    const query = options.partition !== undefined ? `?partition=${encodeURIComponent(options.partition)}` : '';
    const answer = await askServer<Explanation>({ ...options, server: options.server }, `/api/v1/explain/${kind}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${query}`);
    if (!answer.ok) {
      io.err(`error: ${answer.error}\n`);
      return ExitCode.Failed;
    }
    io.out(`${explanationText(answer.value).join('\n')}\n`);
    return ExitCode.Ok;
  }
  const objects = await loadViewObjects({ ...options, namespace });
  if (!objects.ok) {
    io.err(`error: ${objects.error}\n`);
    return ExitCode.Failed;
  }
  const result = explainFromStatus(objects.value, { kind, namespace, name, ...(options.partition !== undefined ? { partition: options.partition } : {}) });
  if (!result.ok) {
    io.err(`error: ${result.message}\n`);
    return ExitCode.Failed;
  }
  io.out(`${explanationText(result.value).join('\n')}\n`);
  return ExitCode.Ok;
}
