// The controller in-process for a benchmark, every request recorded (RecordingKubeConfig), with
// hooks on the running instances (no source change): plan and save timings, when each launch
// started and returned, and when the controller's own Job watch saw a Job end.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { fromConfig } from '../src/kube/client.js';
import { type Controller, startController } from '../src/kube/controller.js';
import type { ResilientInformer } from '../src/kube/resilientInformer.js';
import type { ActionLaunch } from '../src/engine/index.js';
import { createLogger } from '../src/runtime/log.js';
import type { ActionRunner } from '../src/runtime/ports.js';
import type { ControlPlane } from '../test/integration/harness/controlPlane.js';
import { type Deadline, jobEnded, now, RecordingKubeConfig, until } from './controllerScenario.js';

export interface Span {
  start: number;
  end: number;
}

export interface Pass extends Span {
  launches: number;
}

export interface Instrumented {
  controller: Controller;
  kc: RecordingKubeConfig;
  /** How long startController took (caches synced, first World handed over). */
  syncMs: number;
  passes: Pass[];
  saves: Span[];
  /** By the tag `tagOf` gives a launch. */
  launchStart: Map<string, number>;
  launchEnd: Map<string, number>;
  /** When the controller's own Job informer saw a Job end, by Job name. */
  endedSeen: Map<string, number>;
  /** The controller's own informer of Jobs or Pods. */
  informer<T extends V1Job | V1Pod>(resource: 'jobs' | 'pods'): ResilientInformer<T>;
  /** Until the controller has sent nothing for `ms`, has nothing in flight and its reconciler is idle. */
  quiet(ms: number, deadline: Deadline): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startInstrumented(plane: ControlPlane, options: { namespace: string; logFile: string; reuseConnections: boolean; tagOf: (launch: ActionLaunch) => string; maxChecksInFlight?: number }): Promise<Instrumented> {
  const kc = new RecordingKubeConfig(options.reuseConnections);
  kc.loadFromFile(plane.kubeconfigPath);
  const launchStart = new Map<string, number>();
  const launchEnd = new Map<string, number>();
  const wrapActions = (runner: ActionRunner): ActionRunner => ({
    onEnded: (listener) => runner.onEnded(listener),
    launch: async (launch) => {
      launchStart.set(options.tagOf(launch), now());
      await runner.launch(launch);
      launchEnd.set(options.tagOf(launch), now());
    },
    cancel: (cancel) => runner.cancel(cancel),
    adopt: (leases) => runner.adopt(leases),
  });
  const tStart = now();
  const controller = await startController({
    clients: fromConfig(kc),
    log: createLogger({ level: 'info', destination: options.logFile, name: 'controller' }),
    namespaces: [options.namespace],
    holder: 'bench',
    wrapActions,
    ...(options.maxChecksInFlight !== undefined ? { maxChecksInFlight: options.maxChecksInFlight } : {}),
  });
  const syncMs = now() - tStart;
  const passes: Pass[] = [];
  const engine = controller.reconciler.engine;
  const plan = engine.plan.bind(engine);
  engine.plan = (at: number) => {
    const start = now();
    const out = plan(at);
    passes.push({ start, end: now(), launches: out.launches.length });
    return out;
  };
  const saves: Span[] = [];
  const save = controller.store.save.bind(controller.store);
  controller.store.save = async (snapshot) => {
    const start = now();
    try {
      return await save(snapshot);
    } finally {
      saves.push({ start, end: now() });
    }
  };
  const informer = <T extends V1Job | V1Pod>(resource: 'jobs' | 'pods') => controller.informers.find((i) => i.resource === resource) as unknown as ResilientInformer<T>;
  const endedSeen = new Map<string, number>();
  informer<V1Job>('jobs').on('update', (job) => {
    const name = job.metadata?.name ?? '';
    if (jobEnded(job) && !endedSeen.has(name)) endedSeen.set(name, now());
  });
  return {
    controller,
    kc,
    syncMs,
    passes,
    saves,
    launchStart,
    launchEnd,
    endedSeen,
    informer,
    quiet: (ms, deadline) => until('the controller to be quiet', () => (kc.inFlight === 0 && now() - kc.lastEndAt >= ms && controller.reconciler.idle() ? true : undefined), 30_000, deadline, 2),
    stop: () => controller.stop(5_000),
  };
}
