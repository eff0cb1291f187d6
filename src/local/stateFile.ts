import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineSnapshot, Observation } from '../engine/index.js';
import type { StateStore } from '../runtime/ports.js';
import { writeFileAtomic } from './atomicFile.js';

/** Where embedded mode keeps its files, under the manifest directory. Dot-named, so never read as manifests. */
export const LOCAL_DIR = '.homeostat';
export const defaultStatePath = (manifestDir: string): string => join(manifestDir, LOCAL_DIR, 'state.json');

const FORMAT = 'homeostat.dev/local-state';
const VERSION = 1;

interface StateDocument {
  format: typeof FORMAT;
  version: number;
  savedAt: string;
  engine: EngineSnapshot;
}

/**
 * The embedded StateStore: one JSON file, replaced atomically on every save (temporary file and
 * rename), so a crash leaves the previous snapshot or the new one. Saves are serialized: the
 * last one called is the last one written. Observations come back from it as `fromEarlierProcess`
 * leaves them: for display until this process checks again.
 */
export class FileStateStore implements StateStore {
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Undefined when the file does not exist; rejects with a readable message when it is not a state file. */
  async load(): Promise<EngineSnapshot | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let doc: Partial<StateDocument>;
    try {
      doc = JSON.parse(text) as Partial<StateDocument>;
    } catch (error) {
      throw new Error(`${this.path} is not valid JSON (${(error as Error).message}); move it away to start from scratch`);
    }
    if (doc.format !== FORMAT || doc.version !== VERSION || typeof doc.engine !== 'object' || doc.engine === null) {
      throw new Error(`${this.path} is not a Homeostat state file of version ${VERSION}; move it away to start from scratch`);
    }
    const engine = { ...emptySnapshot(), ...doc.engine };
    return engine.observations === undefined ? engine : { ...engine, observations: fromEarlierProcess(engine.observations) };
  }

  save(snapshot: EngineSnapshot): Promise<void> {
    const doc: StateDocument = { format: FORMAT, version: VERSION, savedAt: new Date().toISOString(), engine: snapshot };
    const text = `${JSON.stringify(doc)}\n`;
    const next = this.chain.then(() => writeFileAtomic(this.path, text));
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/**
 * Observations saved by an earlier process show until this one checks again; they decide nothing.
 * Satisfied and unrecoverable verdicts are kept, dated 0, so every one is due for a check at once
 * (the data may have been deleted or fixed meanwhile) and none is fresh for `dev --until-converged`.
 * Unsatisfied and unknown ones are dropped: the node is checked before any action is launched on it.
 */
export function fromEarlierProcess(observations: [string, Observation][]): [string, Observation][] {
  return observations.flatMap(([node, o]) => (o.verdict === 'satisfied' || o.verdict === 'unrecoverable' ? [[node, { ...o, at: 0 }] as [string, Observation]] : []));
}

const emptySnapshot = (): EngineSnapshot => ({ leases: [], retries: [], successes: [], runRequests: [], runs: [], runSeq: [] });
