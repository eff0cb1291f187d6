import { afterEach, describe, expect, it } from '@jest/globals';
import { runDev } from '../../src/cli/dev.js';
import { runExplain } from '../../src/cli/explain.js';
import { runGraph } from '../../src/cli/graph.js';
import { ExitCode } from '../../src/cli/program.js';
import type { Graph } from '../../src/view/graph.js';
import { sandbox, type Sandbox } from '../local/fixtures.js';

let box: Sandbox;
afterEach(() => box.cleanup());

describe('homeostat dev --ui-addr', () => {
  it('serves the read API of the Mediator example: every Dag and DagDependency edge, explain from its engine, change events; the CLI asks it with --server', async () => {
    box = sandbox({ example: 'mediator' });
    let stop = () => undefined as void;
    const interrupted = new Promise<void>((resolve) => (stop = resolve));
    let served: (url: string) => void = () => undefined;
    const url = new Promise<string>((resolve) => (served = resolve));
    let out = '';
    const running = runDev(box.dir, { uiAddr: ':0', interrupted, onServing: served }, { out: (t) => void (out += t), err: (t) => void (out += t) });
    const base = await url;

    // The events stream first: a change comes once the first pass wrote the statuses.
    const events = await fetch(`${base}/api/v1/events`);
    expect(events.headers.get('content-type')).toBe('text/event-stream');
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    let received = '';
    while (!received.includes('event: change')) received += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();

    const graph = (await (await fetch(`${base}/api/v1/graph`)).json()) as Graph;
    expect(graph.nodes.filter((n) => n.kind === 'Dag').map((n) => n.name).sort()).toEqual(['ads', 'clicks-daily', 'clicks-hourly', 'enrich', 'sold']);
    expect(graph.edges.filter((e) => e.kind === 'dagDependency').map((e) => `${e.from} -> ${e.to} ${e.periods ?? ''}`).sort()).toEqual([
      'Dag/default/clicks-hourly -> Dag/default/clicks-daily Within',
      'Dag/default/sold -> Dag/default/enrich Same',
      'DagTask/default/ads/load -> Dag/default/enrich Same',
    ]);
    const explained = (await (await fetch(`${base}/api/v1/explain/Dag/default/enrich`)).json()) as { source: string; steps: unknown[] };
    expect(explained.source).toBe('engine');
    expect(explained.steps.length).toBeGreaterThan(0);
    expect(out).toContain(`read API: ${base}/api/v1/graph`);

    // The CLI asks the same API: the engine's chain, and the graph as dot.
    let printed = '';
    const io = { out: (t: string) => void (printed += t), err: (t: string) => void (printed += t) };
    expect(await runExplain('dag/enrich', { server: base }, io)).toBe(ExitCode.Ok);
    expect(printed).toMatch(/^Dag enrich \S+: \w+ \(\w+\)/);
    printed = '';
    expect(await runGraph({ server: base }, io)).toBe(ExitCode.Ok);
    expect(printed).toContain('"DagTask/default/ads/load" -> "Dag/default/enrich" [label="dagDependency Same"];');
    printed = '';
    expect(await runExplain('dag/nope', { server: base }, io)).toBe(ExitCode.Failed);
    expect(printed).toBe(`error: ${base}/api/v1/explain/Dag/default/nope: HTTP 404: Dag default/nope is not known to the controller\n`);
    stop();
    expect(await running).toBe(ExitCode.Ok);
  });
});
