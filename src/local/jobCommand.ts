import type { Parsed } from '../api/duration.js';
import { renderList, renderTemplate, valueVariable } from '../api/template.js';

/** A local process to run: argv (no shell) and the variables it adds to the environment. */
export interface LocalCommand {
  argv: string[];
  env: Record<string, string>;
}

/** What the action knows of its lease, added to its environment. */
export interface LaunchContext {
  partition: string;
  node: string;
  attempt: number;
  action: string;
}


interface Container {
  command?: unknown;
  args?: unknown;
  env?: unknown;
}

/**
 * The local process of a Job template: its first container's `command` followed by its `args`,
 * with `{{key}}` placeholders replaced by whole values (an element stays one argv element), and
 * its `env` values rendered the same way (`valueFrom` entries are not supported locally and are
 * skipped). The environment also gets HOMEOSTAT_PARTITION, HOMEOSTAT_NODE, HOMEOSTAT_ATTEMPT,
 * HOMEOSTAT_ACTION and HOMEOSTAT_VALUE_<KEY> for each template value. Images are not run: a
 * container without `command` is an error.
 */
export function jobCommand(template: Record<string, unknown>, values: Readonly<Record<string, string>>, context: LaunchContext): Parsed<LocalCommand> {
  const spec = template.spec as { containers?: unknown } | undefined;
  const container = (Array.isArray(spec?.containers) ? spec.containers[0] : undefined) as Container | undefined;
  if (container === undefined || typeof container !== 'object' || container === null) return { ok: false, error: 'the Job template has no container' };
  const command = strings(container.command);
  const args = strings(container.args);
  if (command === undefined || command.length === 0) return { ok: false, error: 'in embedded mode the first container needs a command (images are not run locally)' };
  if (args === undefined) return { ok: false, error: 'args must be a list of strings' };
  const argv = renderList([...command, ...args], values, 'command+args');
  if (!argv.ok) return argv;

  const env: Record<string, string> = {};
  for (const entry of Array.isArray(container.env) ? (container.env as unknown[]) : []) {
    const { name, value } = (entry ?? {}) as { name?: unknown; value?: unknown };
    if (typeof name !== 'string' || typeof value !== 'string') continue;
    const rendered = renderTemplate(value, values);
    if (!rendered.ok) return { ok: false, error: `env ${name}: ${rendered.error}` };
    env[name] = rendered.value;
  }
  for (const [key, value] of Object.entries(values)) env[valueVariable(key)] = value;
  Object.assign(env, {
    HOMEOSTAT_PARTITION: context.partition,
    HOMEOSTAT_NODE: context.node,
    HOMEOSTAT_ATTEMPT: String(context.attempt),
    HOMEOSTAT_ACTION: context.action,
  });
  return { ok: true, value: { argv: argv.value, env } };
}

function strings(value: unknown): string[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return undefined;
  return value as string[];
}
