/**
 * Writes only while leading. Stopping the controller after its term ends takes time (the pass in
 * flight finishes, status is saved once more): these clients refuse every create, replace, patch
 * and delete from the moment `mayWrite()` turns false, so a replica that lost its Lease never
 * launches a Job or writes a status after another replica could have taken over. Reads and
 * watches go through: they change nothing.
 */
import type { KubeClients } from './client.js';

/** What a refused write throws: the caller's usual error path (retry, log) applies; the controller is stopping anyway. */
export class NotLeaderError extends Error {
  constructor(method: string) {
    super(`not the leader: refusing ${method}, another replica may hold the Lease`);
    this.name = 'NotLeaderError';
  }
}

const WRITE = /^(create|replace|patch|delete)/;

/** The same clients, with every write checked against `mayWrite()` at the moment it is made. */
export function fenceWrites(clients: KubeClients, mayWrite: () => boolean): KubeClients {
  return {
    ...clients,
    custom: fenced(clients.custom, mayWrite),
    batch: fenced(clients.batch, mayWrite),
    core: fenced(clients.core, mayWrite),
    events: fenced(clients.events, mayWrite),
    coordination: fenced(clients.coordination, mayWrite),
  };
}

function fenced<T extends object>(api: T, mayWrite: () => boolean): T {
  return new Proxy(api, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (typeof property !== 'string' || !WRITE.test(property)) return method.bind(target);
      return (...args: unknown[]) => {
        if (!mayWrite()) return Promise.reject(new NotLeaderError(property));
        return method.apply(target, args);
      };
    },
  });
}
