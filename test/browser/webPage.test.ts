// The page.evaluate and waitForFunction callbacks run in the browser: they see the DOM.
/// <reference lib="dom" />
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { ExitCode } from '../../src/cli/program.js';
import type { Graph } from '../../src/view/graph.js';
import { CONTENT_SECURITY_POLICY } from '../../src/server/webPage.js';
import { sandbox, type Sandbox } from '../local/fixtures.js';
import { describeWith } from '../services/jest.js';
import { ARTIFACTS, findChromium, launchForTests } from './chromium.js';
import { serveDev } from './devServer.js';

describeWith(findChromium(), 'the web page of homeostat dev --ui-addr, in headless Chromium', (found) => {
  let browser: Browser;
  let box: Sandbox | undefined;
  // A failed test stops its dev loop here, so jest can exit.
  let stopDev: (() => Promise<ExitCode>) | undefined;
  beforeAll(async () => {
    browser = await launchForTests(found, 'app.js');
  });
  afterAll(async () => browser?.close());
  afterEach(async () => {
    await stopDev?.();
    stopDev = undefined;
    await box?.cleanup();
  });

  /** Runs `homeostat dev --ui-addr :0` on the mediator example; `before` edits the copy first. */
  async function serve(before: (box: Sandbox) => void = () => undefined) {
    box = sandbox({ example: 'mediator' });
    before(box);
    let out = '';
    const { base, stop } = await serveDev(box.dir, (t) => void (out += t));
    stopDev = stop;
    return { base, output: () => out, stop };
  }

  /** A page that records every request it makes and every error it logs (a CSP violation is one). */
  async function openPage(base: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => void requests.push(r.url()));
    page.on('pageerror', (e) => void errors.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    await page.goto(`${base}/`);
    await page.waitForSelector('#graph svg .node');
    return { page, requests, errors };
  }

  it('shows every Dag and DagDependency edge of the mediator example, with phases as text; no request leaves the page, under a strict CSP', async () => {
    const dev = await serve();
    const { page, requests, errors } = await openPage(dev.base);
    const head = await fetch(`${dev.base}/`);
    expect(head.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(dev.output()).toContain(`web page: ${dev.base}/\n`);

    const graph = (await (await fetch(`${dev.base}/api/v1/graph`)).json()) as Graph;
    const dags = await page.$$eval('#graph .node[data-kind="Dag"]', (nodes) => nodes.map((n) => n.getAttribute('data-id')));
    expect(dags.sort()).toEqual(['Dag/default/ads', 'Dag/default/clicks-daily', 'Dag/default/clicks-hourly', 'Dag/default/enrich', 'Dag/default/sold']);
    // Every edge of the API's graph is drawn, the three DagDependency edges by name.
    const drawn = await page.$$eval('#graph path.edge', (paths) => paths.map((p) => `${p.getAttribute('data-from')} -> ${p.getAttribute('data-to')} ${p.getAttribute('data-kind')}`));
    expect(drawn.sort()).toEqual(graph.edges.map((e) => `${e.from} -> ${e.to} ${e.kind}`).sort());
    expect(drawn.filter((e) => e.endsWith('dagDependency')).sort()).toEqual([
      'Dag/default/clicks-hourly -> Dag/default/clicks-daily dagDependency',
      'Dag/default/sold -> Dag/default/enrich dagDependency',
      'DagTask/default/ads/load -> Dag/default/enrich dagDependency',
    ]);
    // A phase is told in words too, not by colour alone.
    const enrich = page.locator('#graph .node[data-id="Dag/default/enrich"]');
    const phase = (await enrich.getAttribute('data-phase')) as string;
    expect(await enrich.locator('text.phase').textContent()).toBe(`Dag · ${phase}`);
    expect(await enrich.getAttribute('aria-label')).toMatch(new RegExp(`^Dag default/enrich: ${phase}`));

    // The filters: a phase no node has shows none; the search keeps the matching nodes.
    await page.fill('#search', 'clicks');
    await page.waitForFunction(() => document.querySelectorAll('#graph .node').length > 0 && [...document.querySelectorAll('#graph .node')].every((n) => (n.getAttribute('data-id') ?? '').includes('clicks')));
    await page.fill('#search', '');
    await page.waitForSelector('#graph .node[data-id="Dag/default/ads"]');

    await page.screenshot({ path: join(ARTIFACTS, 'web-mediator-graph.png'), fullPage: true });
    expect(requests.filter((u) => !u.startsWith(`${dev.base}/`))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
    expect(await dev.stop()).toBe(ExitCode.Ok);
  }, 60_000);

  it('turns a Dag whose task fails to Failed within 2 s, without a reload; clicking it shows its explain chain; Tab reaches a node and Enter opens it', async () => {
    // ads load fails for every period; its one retry 5 s later (not 2 s), so the page is open before it is Failed.
    const dev = await serve((b) => {
      mkdirSync(join(b.data, 'fail'), { recursive: true });
      writeFileSync(join(b.data, 'fail', 'ads.load'), '');
      b.edit('ads.yaml', 'retry: {limit: 1, backoff: {initial: 2s, max: 10s}}', 'retry: {limit: 1, backoff: {initial: 5s, max: 10s}}');
    });
    // The test follows the same event stream: the moment the API says ads is Failed.
    const stream = await fetch(`${dev.base}/api/v1/events`);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const { page } = await openPage(dev.base);
    const ads = page.locator('#graph .node[data-id="Dag/default/ads"]');
    expect(await ads.getAttribute('data-phase')).not.toBe('Failed');
    await page.evaluate(() => void ((window as unknown as { sameDocument: boolean }).sameDocument = true));

    let received = '';
    while (!/"kind":"Dag","namespace":"default","name":"ads","phase":"Failed"/.test(received)) received += new TextDecoder().decode((await reader.read()).value);
    const failedAt = Date.now();
    await reader.cancel();
    await page.waitForSelector('#graph .node[data-id="Dag/default/ads"][data-phase="Failed"]', { timeout: 2000 });
    const latency = Date.now() - failedAt;
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(await ads.locator('text.phase').textContent()).toBe('Dag · Failed');
    process.stderr.write(`web page: Dag ads shown Failed ${latency} ms after the API's change event\n`);
    await page.screenshot({ path: join(ARTIFACTS, 'web-mediator-failed.png'), fullPage: true });

    // A click opens the explain chain, down to the failing load and its message.
    await ads.click();
    const chain = page.locator('#details section[aria-label="Explain chain"]');
    await chain.waitFor();
    expect(await chain.textContent()).toMatch(/Dag ads task load \S+ — \w+/);
    expect(await chain.textContent()).toContain('failing on purpose');
    expect(await page.locator('#details h2').textContent()).toContain('Dag default/ads');
    await page.screenshot({ path: join(ARTIFACTS, 'web-mediator-explain.png'), fullPage: true });

    // The keyboard: Tab from the top reaches a node; Enter opens that node.
    await page.locator('#search').focus();
    let focused: string | null = null;
    for (let i = 0; i < 5 && focused === null; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.getAttribute('data-id') ?? null);
    }
    expect(focused).not.toBeNull();
    const name = (focused as string).split('/').slice(1).join('/');
    await page.keyboard.press('Enter');
    await page.waitForFunction((n) => document.querySelector('#details h2')?.textContent?.includes(n) === true, name);
    expect(await page.locator(`#graph .node[data-id="${focused as string}"]`).getAttribute('class')).toContain('selected');
    await page.close();
    expect(await dev.stop()).toBe(ExitCode.Ok);
  }, 90_000);
});
