/**
 * A `homeostat controller` replica run in-process under a leader-election Lease: the read API and
 * page tests (several replicas serving the same answers), the leader-election tests (standby,
 * release, a lost Lease) and the compile-cap test all start it this way.
 */
import { runController, type ControllerCommandOptions } from '../../../src/cli/controller.js';
import type { Controller } from '../../../src/kube/controller.js';
import { cluster } from './cluster.js';

export interface Replica {
  interrupt: () => void;
  exit: Promise<number>;
  /** Where it serves (its read API, metrics, probes and the page). */
  url: string;
  /** Its controller, once it leads; undefined on a standby. */
  controller: () => Controller | undefined;
  /** Whether its controller has started (it led at some point). */
  started: () => boolean;
  /** What it wrote to stderr. */
  err: () => string;
}

export interface ReplicaOptions {
  /** The namespace it watches. */
  namespace: string;
  /** The name of its leader-election Lease. */
  leaseId: string;
  /**
   * Lease terms. Default 8 s / 6 s / 1 s: on a loaded machine (2 shared cores) API calls sometimes
   * take seconds while a controller starts, and a leader must not lose its Lease on its own.
   */
  terms?: { leaseDuration: string; renewDeadline: string; retryPeriod: string };
  /** More controller options (e.g. protectedNamespaces, maxNodesTotal). */
  more?: Partial<ControllerCommandOptions>;
  /** Called when it starts leading, with its controller. */
  onStarted?: (controller: Controller) => void;
}

/** Starts a replica; resolves once it serves. */
export async function startReplica(options: ReplicaOptions): Promise<Replica> {
  const terms = options.terms ?? { leaseDuration: '8s', renewDeadline: '6s', retryPeriod: '1s' };
  let interrupt = () => undefined as void;
  const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
  let controller: Controller | undefined;
  let err = '';
  let serving = (_url: string) => undefined as void;
  const url = new Promise<string>((resolve) => (serving = resolve));
  const exit = runController(
    {
      kubeconfig: cluster().kubeconfigPath,
      namespace: [options.namespace],
      metricsAddr: '127.0.0.1:0',
      logLevel: 'silent',
      interrupted,
      leaderElect: true,
      leaderElectionId: options.leaseId,
      leaderElectionLeaseDuration: terms.leaseDuration,
      leaderElectionRenewDeadline: terms.renewDeadline,
      leaderElectionRetryPeriod: terms.retryPeriod,
      ...options.more,
      onServing: (server) => serving(server.url),
      onStarted: (c) => {
        controller = c;
        options.onStarted?.(c);
      },
    },
    { out: () => undefined, err: (text) => void (err += text) },
  );
  return { interrupt, exit, url: await url, controller: () => controller, started: () => controller !== undefined, err: () => err };
}
