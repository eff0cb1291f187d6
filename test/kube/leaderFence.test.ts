import { describe, expect, it } from '@jest/globals';
import type { KubeClients } from '../../src/kube/client.js';
import { fenceWrites, NotLeaderError } from '../../src/kube/leaderFence.js';

/** Stands in for a generated API class: methods on the prototype, state on the instance. */
class FakeJobsApi {
  calls: string[] = [];
  async createNamespacedJob(args: { name: string }) {
    this.calls.push(`create ${args.name}`);
    return args;
  }
  async readNamespacedJob(args: { name: string }) {
    this.calls.push(`read ${args.name}`);
    return args;
  }
  async deleteNamespacedJob(args: { name: string }) {
    this.calls.push(`delete ${args.name}`);
  }
}

describe('fenceWrites', () => {
  const fenced = (leading: { now: boolean }) => {
    const batch = new FakeJobsApi();
    const clients = fenceWrites({ batch, custom: {}, core: {}, events: {}, coordination: {}, config: {} } as unknown as KubeClients, () => leading.now);
    return { batch, api: clients.batch as unknown as FakeJobsApi };
  };

  it('lets writes through while leading', async () => {
    const { batch, api } = fenced({ now: true });
    await api.createNamespacedJob({ name: 'j' });
    expect(batch.calls).toEqual(['create j']);
  });

  it('refuses every write from the moment the term ends, checked at each call; reads go through', async () => {
    const leading = { now: true };
    const { batch, api } = fenced(leading);
    const create = api.createNamespacedJob.bind(api); // taken while leading, called after
    leading.now = false;
    await expect(create({ name: 'late' })).rejects.toBeInstanceOf(NotLeaderError);
    await expect(api.deleteNamespacedJob({ name: 'j' })).rejects.toThrow(/not the leader: refusing deleteNamespacedJob/);
    await api.readNamespacedJob({ name: 'j' });
    expect(batch.calls).toEqual(['read j']);
  });
});
