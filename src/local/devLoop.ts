import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { checkGraph, type GraphProblem } from '../api/graphChecks.js';
import type { DagRun, HomeostatObject, StateChecker } from '../api/types.js';
import { type Convergence, convergence } from '../runtime/convergence.js';
import type { Logger } from '../runtime/log.js';
import { systemClock } from '../runtime/ports.js';
import { Reconciler } from '../runtime/reconciler.js';
import { LocalCommandChecker } from './commandChecker.js';
import { lockStateDir } from './dirLock.js';
import { type FileProblem, ManifestWatcher, type ManifestState } from './manifestWatcher.js';
import { LocalActionRunner } from './processRunner.js';
import { ProcessTable } from './processTable.js';
import { defaultStatePath, FileStateStore } from './stateFile.js';
import { FileStatusWriter } from './statusFile.js';

export interface DevOptions {
  /** The manifest directory; actions and checkers run here. */
  dir: string;
  /** Defaults to `<dir>/.homeostat/state.json`. Process records and logs go beside it. */
  statePath?: string;
  /** Defaults to status.json beside the state file (`homeostat get --state` reads it there). */
  statusPath?: string;
  log: Logger;
  /** How often manifest files are looked at. Defaults to 500 ms. */
  pollMs?: number;
  /** Bounded work: nodes one object, and all objects together, may compile to (ReconcilerOptions). */
  maxNodesPerObject?: number;
  maxNodesTotal?: number;
}

export type ConvergenceResult = { converged: true; afterMs: number; summary: Convergence } | { converged: false; afterMs: number; summary: Convergence };

/** Embedded mode, running: the engine and the local adapters wired together. */
export interface DevLoop {
  readonly reconciler: Reconciler;
  readonly status: FileStatusWriter;
  readonly runner: LocalActionRunner;
  readonly watcher: ManifestWatcher;
  /** Broken manifest files now. */
  fileProblems(): FileProblem[];
  /**
   * Valid objects the engine does not plan for that are not valid in the whole graph now: DagRuns
   * naming a Dag that does not exist. Each is Valid=False in status.json and logged once.
   */
  objectProblems(): GraphProblem[];
  /** Where the declared world stands; a node counts as Satisfied only on a verdict this process obtained. */
  convergence(): Convergence;
  /**
   * Resolves once every valid Expectation and Dag is Satisfied on verdicts this process obtained
   * (saved observations are checked again at start) and nothing is pending, or after
   * `timeoutMs` with what is not satisfied. Invalid objects do not block it: they are reported.
   */
  untilConverged(timeoutMs: number): Promise<ConvergenceResult>;
  /** Called after every pass and every status change. */
  onUpdate(listener: () => void): void;
  /**
   * Adds a DagRun to the world as if its file were in the directory (the web page's Re-run): the
   * engine runs its period. Kept in memory for this process; 'exists' when the name is taken.
   */
  addDagRun(run: DagRun): 'added' | 'exists';
  /** Stops watching and reconciling; saves the state and writes status.json once more. */
  stop(options?: { killActions?: boolean }): Promise<void>;
}

/**
 * Starts embedded mode on a manifest directory. Rejects when the saved state cannot be read, or
 * when another embedded controller holds the same state directory.
 */
export async function startDevLoop(options: DevOptions): Promise<DevLoop> {
  const dir = resolve(options.dir);
  const log = options.log;
  // Verdicts observed before this (restored from an earlier process) show, but converge nothing.
  const started = Date.now();
  const statePath = resolve(options.statePath ?? defaultStatePath(dir));
  const localDir = dirname(statePath);
  let checkers = new Map<string, StateChecker>();
  let problems: FileProblem[] = [];
  let objectProblems: GraphProblem[] = [];
  const reported = new Set<string>();
  const listeners: (() => void)[] = [];
  const notify = () => listeners.forEach((l) => l());

  const unlock = await lockStateDir(localDir, log);
  const runner = new LocalActionRunner({ cwd: dir, logDir: join(localDir, 'logs'), table: new ProcessTable(join(localDir, 'processes.json')), log: log.child({ component: 'actions' }) });
  const checks = new LocalCommandChecker({ cwd: dir, checkers: () => checkers, log: log.child({ component: 'checks' }) });
  const status = new FileStatusWriter(resolve(options.statusPath ?? join(localDir, 'status.json')), { log });
  status.onChange(notify);
  const reconciler = await Reconciler.start(
    { actions: runner, checks, state: new FileStateStore(statePath), status, clock: systemClock },
    {
      holder: `homeostat-dev@${hostname()}`,
      log,
      persistObservations: true,
      onPass: notify,
      ...(options.maxNodesPerObject !== undefined ? { maxNodesPerObject: options.maxNodesPerObject } : {}),
      ...(options.maxNodesTotal !== undefined ? { maxNodesTotal: options.maxNodesTotal } : {}),
    },
  ).catch(async (error: unknown) => {
    await unlock();
    throw error;
  });

  // DagRuns asked through the web page: part of the world, like DagRun files, until the process ends.
  const requested: DagRun[] = [];
  let latest: ManifestState | undefined;
  const apply = (read: ManifestState) => {
    latest = read;
    const state = requested.length === 0 ? read : { ...read, side: { ...read.side, dagRuns: [...read.side.dagRuns, ...requested] } };
    checkers = new Map(state.world.checkers.map((c) => [`${c.metadata.namespace ?? 'default'}/${c.metadata.name}`, c]));
    problems = state.problems;
    const w = state.world;
    const objects: HomeostatObject[] = [...w.checkers, ...w.expectations, ...w.dags, ...w.dagDependencies, ...state.side.dagRuns];
    // The engine checks the graph of what it plans for; DagRuns are checked here, so one naming
    // no Dag says why instead of staying Pending in silence.
    objectProblems = checkGraph(objects).filter((p) => p.kind === 'DagRun');
    const now = new Set<string>();
    for (const p of objectProblems) {
      const said = `${p.namespace}/${p.name}: ${p.message}`;
      now.add(said);
      if (!reported.has(said)) log.warn({ kind: p.kind, namespace: p.namespace, name: p.name, reason: p.reason }, `${p.kind}/${p.name} is not valid: ${p.message} (${p.reason})`);
    }
    reported.clear();
    for (const said of now) reported.add(said);
    status.setObjects(objects, objectProblems);
    status.setSources(watcher.s3Sources().map((s) => s.stored()));
    reconciler.setDeclared(state);
  };
  const watcher = new ManifestWatcher(dir, { log: log.child({ component: 'manifests' }), onChange: apply, ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}) });
  const first = await watcher.start().catch(async (error: unknown) => {
    await reconciler.stop();
    await unlock();
    throw error;
  });
  apply(first);
  log.info({ dir, objects: first.world.expectations.length + first.world.dags.length, problems: first.problems.length }, 'embedded mode started');

  const converging = () => convergence(reconciler.engine, { freshSince: started });
  return {
    reconciler,
    status,
    runner,
    watcher,
    fileProblems: () => problems,
    objectProblems: () => objectProblems,
    convergence: converging,
    onUpdate: (listener) => void listeners.push(listener),
    addDagRun(run) {
      const taken = (r: DagRun) => r.metadata.name === run.metadata.name && (r.metadata.namespace ?? 'default') === (run.metadata.namespace ?? 'default');
      if (requested.some(taken) || latest?.side.dagRuns.some(taken) === true) return 'exists';
      requested.push(run);
      if (latest !== undefined) apply(latest);
      return 'added';
    },
    untilConverged(timeoutMs) {
      return new Promise((done) => {
        let finished = false;
        const check = () => {
          if (finished || reconciler.passCount === 0 || !reconciler.idle()) return;
          const summary = converging();
          if (!summary.converged) return;
          finished = true;
          clearTimeout(timer);
          done({ converged: true, afterMs: Date.now() - started, summary });
        };
        const timer = setTimeout(() => {
          if (finished) return;
          finished = true;
          done({ converged: false, afterMs: Date.now() - started, summary: converging() });
        }, timeoutMs);
        listeners.push(check);
        check();
      });
    },
    async stop(stopOptions = {}) {
      watcher.stop();
      if (stopOptions.killActions === true) runner.killAll();
      await reconciler.stop();
      checks.killAll(); // a verdict arriving now has no one to read it
      await status.close();
      await unlock().catch((error: unknown) => log.warn({ err: error }, 'releasing the state directory lock failed'));
    },
  };
}
