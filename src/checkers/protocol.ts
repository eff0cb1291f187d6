/**
 * The checker protocol (DESIGN.md section 4) as the controller uses it. The protocol's types,
 * limits and verdict parsing have one source, the checker SDK (packages/checker-sdk), which
 * checker images are built on; this file adds what only the controller does: building a request
 * from the engine's CheckRequest.
 */
import { placeholders, renderMap } from '../api/template.js';
import type { CheckRequest } from '../engine/types.js';
import type { CheckerRequest } from '@homeostat/checker-sdk';

export {
  CheckFailure,
  type CheckerPartition,
  type CheckerRequest,
  type CheckerResult,
  type CheckerState,
  type CheckerVerdict,
  MAX_MESSAGE_LENGTH,
  MAX_VERDICT_BYTES,
  type ParsedVerdict,
  parseVerdict,
} from '@homeostat/checker-sdk';

/** The last `max` characters of a process's stderr, for a failure message. */
export function tail(text: string, max = 1024): string {
  const trimmed = text.trimEnd();
  return trimmed.length <= max ? trimmed : `…${trimmed.slice(trimmed.length - max)}`;
}

/**
 * The values a checker's command and args may name: a request of one partition renders them for
 * that partition (its keys, then its params rendered for it, which win); a batch of several has
 * one command line for all, so only the params that are the same for every partition (no
 * placeholder of their own) are there, and the error of a placeholder naming anything else says
 * so (render per partition with batchSize 1, or read the values from the request).
 */
export function commandLineValues(request: CheckRequest): Record<string, string> {
  const [only, ...rest] = request.items;
  if (only !== undefined && rest.length === 0) {
    const params = renderMap(request.params, only.values);
    return { ...only.values, ...(params.ok ? params.value : {}) };
  }
  return Object.fromEntries(Object.entries(request.params).filter(([, value]) => placeholders(value).length === 0));
}

/** Why a placeholder of a batch's command line names no value: it differs per partition. */
export const PER_PARTITION_HINT = 'a request of several partitions has one command line, so args and command may name only params that are the same for every partition: set the StateChecker\'s batchSize to 1 to render partition values in them, or read them from the request (partitions[].params)';

/** The request a checker reads: params as declared, and each partition with its params rendered. */
export function requestBody(request: CheckRequest): { ok: true; value: CheckerRequest } | { ok: false; error: string } {
  const partitions: CheckerRequest['partitions'] = [];
  for (const item of request.items) {
    const params = renderMap(request.params, item.values);
    if (!params.ok) return { ok: false, error: `partition ${item.partition || '-'}: ${params.error}` };
    partitions.push({ key: item.partition, values: item.values, params: params.value });
  }
  return { ok: true, value: { expectation: { namespace: request.owner.namespace, name: request.owner.name }, params: request.params, partitions } };
}
