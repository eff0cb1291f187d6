import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { runDev } from '../../src/cli/dev.js';
import { ExitCode } from '../../src/cli/program.js';
import type { Graph } from '../../src/view/graph.js';
import { sandbox, type Sandbox } from '../local/fixtures.js';

let box: Sandbox;
afterEach(() => box.cleanup());

describe('homeostat dev --ui-addr: the phases of Dag tasks in the graph', () => {
  it("a failing task shows Failed, the task after it Waiting and the one before it Satisfied, as a controller's status would say", async () => {
    box = sandbox({ example: 'mediator' });
    // ads load fails for every period (the example's step.sh fails while this file exists).
    mkdirSync(join(box.data, 'fail'), { recursive: true });
    writeFileSync(join(box.data, 'fail', 'ads.load'), '');
    let stop = () => undefined as void;
    const interrupted = new Promise<void>((resolve) => (stop = resolve));
    let served: (url: string) => void = () => undefined;
    const url = new Promise<string>((resolve) => (served = resolve));
    const running = runDev(box.dir, { uiAddr: '127.0.0.1:0', interrupted, onServing: served }, { out: () => undefined, err: () => undefined });
    const base = await url;
    try {
      let graph: Graph | undefined;
      const phase = (id: string) => graph?.nodes.find((n) => n.id === id)?.phase;
      // Polled: the read API answers from what the dev loop last wrote; ads fails after its one retry (2 s).
      const fetched = async () => (graph = (await (await fetch(`${base}/api/v1/graph`)).json()) as Graph);
      const deadline = Date.now() + 60_000;
      while ((await fetched(), phase('Dag/default/ads')) !== 'Failed') {
        if (Date.now() > deadline) throw new Error(`Dag ads is still ${phase('Dag/default/ads') ?? 'without a phase'} in the graph after 60 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(['fetch', 'load', 'publish'].map((t) => `${t} ${phase(`DagTask/default/ads/${t}`) ?? '-'}`)).toEqual(['fetch Satisfied', 'load Failed', 'publish Waiting']);
      // sold is Satisfied: every one of its tasks too.
      expect(graph?.nodes.filter((n) => n.kind === 'DagTask' && n.name === 'sold').map((n) => n.phase)).toEqual(['Satisfied', 'Satisfied']);
    } finally {
      // A failed expectation stops the dev loop too, so jest can exit.
      stop();
    }
    expect(await running).toBe(ExitCode.Ok);
  }, 90_000);
});
