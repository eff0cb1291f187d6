/**
 * The checker protocol (DESIGN.md section 4) as the controller uses it. The protocol's types,
 * limits and verdict parsing have one source, the checker SDK (packages/checker-sdk), which
 * checker images are built on; this file adds what only the controller does: building a request
 * from the engine's CheckRequest.
 */
import { renderMap } from '../api/template.js';
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
