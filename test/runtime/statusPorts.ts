import { type ObjectRef, type Ports, systemClock } from '../../src/runtime/ports.js';

/** Ports that only keep the statuses written, by `Kind/name`: for tests of what the reconciler writes. */
export function statusPorts(): { ports: Ports; statuses: Map<string, Record<string, unknown>> } {
  const statuses = new Map<string, Record<string, unknown>>();
  return {
    statuses,
    ports: {
      clock: systemClock,
      actions: { onEnded: () => undefined, launch: async () => undefined, cancel: async () => undefined, adopt: async () => undefined },
      checks: { onAnswer: () => undefined, request: async () => undefined },
      state: { load: async () => undefined, save: async () => undefined },
      status: {
        writeStatus: async (o: ObjectRef, status) => void statuses.set(`${o.kind}/${o.name}`, status),
        writeRun: async () => undefined,
        removeRun: async () => undefined,
        recordEvent: () => undefined,
      },
    },
  };
}

/** Resolves once `check()` holds, or after 5 s (the test's own expectation then says what is missing). */
export async function statusUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}
