/**
 * A `homeostat controller` replica run in-process under a leader-election Lease, for the tests
 * where several replicas serve the read API (the leader and a standby answer the same).
 */
import { runController } from '../../../src/cli/controller.js';
import type { Controller } from '../../../src/kube/controller.js';
import type { DagScene } from '../mediatorFixtures.js';
import { cluster } from './cluster.js';

export interface Replica {
  interrupt: () => void;
  exit: Promise<number>;
  /** Where it serves (its read API and the page). */
  url: string;
  /** Its controller, once it leads; undefined on a standby. */
  controller: () => Controller | undefined;
}

/** Starts a replica watching `scene.ns` under the Lease `leaseId`; resolves once it serves. The leader's controller becomes `scene.controller`. */
export async function startReplica(scene: DagScene, leaseId: string): Promise<Replica> {
  let interrupt = () => undefined as void;
  const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
  let controller: Controller | undefined;
  let serving = (_url: string) => undefined as void;
  const url = new Promise<string>((resolve) => (serving = resolve));
  const exit = runController(
    {
      kubeconfig: cluster().kubeconfigPath,
      namespace: [scene.ns],
      metricsAddr: '127.0.0.1:0',
      logLevel: 'silent',
      interrupted,
      leaderElect: true,
      leaderElectionId: leaseId,
      leaderElectionLeaseDuration: '8s',
      leaderElectionRenewDeadline: '6s',
      leaderElectionRetryPeriod: '1s',
      onServing: (server) => serving(server.url),
      onStarted: (c) => {
        controller = c;
        scene.controller = c;
      },
    },
    { out: () => undefined, err: () => undefined },
  );
  return { interrupt, exit, url: await url, controller: () => controller };
}
