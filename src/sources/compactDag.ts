/**
 * The compact JSON DAG shape of file-based DAG loaders, turned into a Dag manifest:
 *
 *   { "description": "...", "enabled": true, "schedule": "0 3 * * *", "start_date": "2026-01-01",
 *     "nodes": [{ "id": "extract", "type": "container",
 *                 "config": { "image": "example/extract:1", "command": [...], "args": [...],
 *                             "env": { "KEY": "value" }, "timeout": "30m", "retry": 2 },
 *                 "depends_on": [] }],
 *     "edges": [{ "from": "extract", "to": "load" }] }
 *
 * The file name without its extension names the Dag; each node is a task whose Job runs one
 * container named after the node; `depends_on` and `edges` both give a task's upstreams;
 * `enabled: false` suspends the Dag; `description` becomes the annotation homeostat.dev/description.
 * `schedule` (cron) or `every` (ISO-8601) with `start_date` and `timezone` give the periods.
 * Pure: problems are values with the field path in the file.
 */
import { API_VERSION } from '../api/schema/kind.js';
import type { FieldError } from '../api/fieldPath.js';

export type CompactResult = { ok: true; object: Record<string, unknown> } | { ok: false; errors: FieldError[] };

/** A JSON document is in the compact shape when its top level has `nodes`. */
export const isCompactDag = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && 'nodes' in value;

const TOP_KEYS = new Set(['description', 'enabled', 'nodes', 'edges', 'schedule', 'every', 'start_date', 'timezone', 'params']);
const NODE_KEYS = new Set(['id', 'type', 'config', 'depends_on']);
const CONFIG_KEYS = new Set(['image', 'command', 'args', 'env', 'timeout', 'retry']);

/** The Dag a compact file declares; `file` is its path, whose base name names the Dag. */
export function compactDag(value: Record<string, unknown>, file: string): CompactResult {
  const errors: FieldError[] = [];
  const fail = (path: string, message: string) => errors.push({ path, message });
  for (const key of Object.keys(value)) if (!TOP_KEYS.has(key)) fail(key, `unknown field (the compact DAG shape has ${[...TOP_KEYS].join(', ')})`);

  const base = file.slice(file.lastIndexOf('/') + 1).replace(/\.[^.]*$/, '');
  const name = base.toLowerCase().replace(/_/g, '-');
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
    fail('', `the file name ${JSON.stringify(base)} names the Dag and must be letters, digits, '-', '_' and '.', starting and ending with a letter or digit`);
  }

  const nodes = value.nodes;
  const tasks: Record<string, unknown>[] = [];
  const byId = new Map<string, Record<string, unknown>>();
  if (!Array.isArray(nodes) || nodes.length === 0) fail('nodes', 'must be a non-empty list of {id, type, config, depends_on}');
  else {
    nodes.forEach((node: unknown, i) => {
      const at = `nodes[${i}]`;
      if (!isRecord(node)) return fail(at, 'must be an object with id, type, config and depends_on');
      for (const key of Object.keys(node)) if (!NODE_KEYS.has(key)) fail(`${at}.${key}`, `unknown field (a node has ${[...NODE_KEYS].join(', ')})`);
      if (typeof node.id !== 'string' || node.id === '') return fail(`${at}.id`, 'is required: a string naming the task');
      if (node.type !== undefined && typeof node.type !== 'string') fail(`${at}.type`, 'must be a string');
      if (byId.has(node.id)) return fail(`${at}.id`, `task ${node.id} is declared twice`);
      const task = taskOf(node, at, fail);
      byId.set(node.id, task);
      tasks.push(task);
    });
  }

  const edges = value.edges;
  if (edges !== undefined && !Array.isArray(edges)) fail('edges', 'must be a list of {from, to}');
  else {
    (edges ?? []).forEach((edge: unknown, i: number) => {
      const at = `edges[${i}]`;
      if (!isRecord(edge) || typeof edge.from !== 'string' || typeof edge.to !== 'string') return fail(at, 'must be {from, to} naming two nodes');
      const to = byId.get(edge.to);
      if (to === undefined) return fail(`${at}.to`, `no node has id ${edge.to}`);
      if (!byId.has(edge.from)) return fail(`${at}.from`, `no node has id ${edge.from}`);
      const after = (to.dependsOn as string[] | undefined) ?? [];
      if (!after.includes(edge.from)) to.dependsOn = [...after, edge.from];
    });
  }

  if (value.enabled !== undefined && typeof value.enabled !== 'boolean') fail('enabled', 'must be true or false');
  if (value.description !== undefined && typeof value.description !== 'string') fail('description', 'must be a string');
  const periods = periodsOf(value, fail);
  if (value.params !== undefined && !isStringMap(value.params)) fail('params', 'must map names to strings');
  if (errors.length > 0) return { ok: false, errors };

  const metadata: Record<string, unknown> = { name };
  if (typeof value.description === 'string') metadata.annotations = { 'homeostat.dev/description': value.description };
  const spec: Record<string, unknown> = { tasks };
  if (periods !== undefined) spec.periods = periods;
  if (value.params !== undefined) spec.params = value.params;
  if (value.enabled === false) spec.suspend = true;
  return { ok: true, object: { apiVersion: API_VERSION, kind: 'Dag', metadata, spec } };
}

function taskOf(node: Record<string, unknown>, at: string, fail: (path: string, message: string) => void): Record<string, unknown> {
  const id = node.id as string;
  const config = node.config ?? {};
  const container: Record<string, unknown> = { name: id };
  const task: Record<string, unknown> = { name: id };
  if (!isRecord(config)) {
    fail(`${at}.config`, 'must be an object with image or command, args, env, timeout and retry');
  } else {
    for (const key of Object.keys(config)) if (!CONFIG_KEYS.has(key)) fail(`${at}.config.${key}`, `unknown field (config has ${[...CONFIG_KEYS].join(', ')})`);
    if (config.image === undefined && config.command === undefined) fail(`${at}.config`, 'give image (in a cluster) or command (in embedded mode)');
    if (config.image !== undefined) {
      if (typeof config.image === 'string') container.image = config.image;
      else fail(`${at}.config.image`, 'must be a string');
    }
    for (const key of ['command', 'args'] as const) {
      const words = config[key];
      if (words === undefined) continue;
      if (typeof words === 'string') container[key] = [words];
      else if (Array.isArray(words) && words.every((w) => typeof w === 'string')) container[key] = words;
      else fail(`${at}.config.${key}`, 'must be a string or a list of strings');
    }
    if (config.env !== undefined) {
      if (isStringMap(config.env)) container.env = Object.entries(config.env).map(([k, v]) => ({ name: k, value: v }));
      else fail(`${at}.config.env`, 'must map variable names to strings');
    }
    if (config.timeout !== undefined) {
      if (typeof config.timeout === 'number' && Number.isInteger(config.timeout) && config.timeout > 0) task.timeout = `${config.timeout}s`;
      else if (typeof config.timeout === 'string') task.timeout = config.timeout;
      else fail(`${at}.config.timeout`, 'must be a duration (30m, PT1H) or a whole number of seconds');
    }
    if (config.retry !== undefined) {
      if (typeof config.retry === 'number' && Number.isInteger(config.retry) && config.retry >= 0) task.retry = { limit: config.retry };
      else if (isRecord(config.retry)) task.retry = config.retry;
      else fail(`${at}.config.retry`, 'must be a number of retries or {limit, backoff: {initial, max}}');
    }
  }
  const dependsOn = node.depends_on;
  if (dependsOn !== undefined) {
    if (Array.isArray(dependsOn) && dependsOn.every((d) => typeof d === 'string')) task.dependsOn = [...new Set(dependsOn)];
    else fail(`${at}.depends_on`, 'must be a list of node ids');
  }
  task.job = { template: { spec: { restartPolicy: 'Never', containers: [container] } } };
  return task;
}

function periodsOf(value: Record<string, unknown>, fail: (path: string, message: string) => void): Record<string, unknown> | undefined {
  const { schedule, every, start_date: start, timezone } = value;
  if (schedule === undefined && every === undefined) {
    if (start !== undefined) fail('start_date', 'needs schedule or every');
    return undefined;
  }
  if (schedule !== undefined && every !== undefined) fail('schedule', 'give schedule or every, not both');
  if (schedule !== undefined && typeof schedule !== 'string') fail('schedule', 'must be a cron expression');
  if (every !== undefined && typeof every !== 'string') fail('every', 'must be an ISO-8601 duration such as P1D');
  if (typeof start !== 'string') fail('start_date', 'is required with schedule or every: the first period, e.g. 2026-01-01');
  if (timezone !== undefined && typeof timezone !== 'string') fail('timezone', 'must be an IANA time zone');
  return {
    from: start,
    ...(schedule !== undefined ? { cron: schedule } : { every }),
    ...(timezone !== undefined ? { timeZone: timezone } : {}),
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown): v is Record<string, string> => isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
