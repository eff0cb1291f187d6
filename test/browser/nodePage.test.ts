// A node's page in headless Chromium: a Dag's periods x tasks and its Re-run button (which makes
// the embedded engine run that period again), an Expectation's partition grid with its explain
// chain, and an Expectation of 365,000 partitions opening.
// The page.evaluate and waitForFunction callbacks run in the browser: they see the DOM.
/// <reference lib="dom" />
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import type { Browser, Page, Route } from 'playwright-core';
import { ExitCode } from '../../src/cli/program.js';
import { silentLogger } from '../../src/runtime/log.js';
import { type RunningServer, startServer } from '../../src/server/httpServer.js';
import { createMetrics } from '../../src/server/metrics.js';
import type { DagRunsTable } from '../../src/view/dagRunsTable.js';
import { sandbox, type Sandbox } from '../local/fixtures.js';
import { healthy } from '../server/fixtures.js';
import { describeWith } from '../services/jest.js';
import { bigExpectation } from './bigExpectation.js';
import { ARTIFACTS, findChromium, launchForTests } from './chromium.js';
import { serveDev } from './devServer.js';

describeWith(findChromium(), "a node's page in headless Chromium", (found) => {
  let browser: Browser;
  let box: Sandbox | undefined;
  let stopDev: (() => Promise<ExitCode>) | undefined;
  let server: RunningServer | undefined;
  beforeAll(async () => {
    browser = await launchForTests(found, 'app.js');
  });
  afterAll(async () => browser?.close());
  afterEach(async () => {
    await stopDev?.();
    stopDev = undefined;
    await server?.close();
    server = undefined;
    await box?.cleanup();
    box = undefined;
  });

  /** `homeostat dev --ui-addr 127.0.0.1:0` on an example. */
  async function serve(example: 'mediator' | 'quickstart'): Promise<string> {
    box = sandbox({ example });
    const dev = await serveDev(box.dir);
    stopDev = dev.stop;
    return dev.base;
  }

  async function openPage(base: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('request', (r) => void requests.push(r.url()));
    page.on('pageerror', (e) => void errors.push(e.message));
    await page.goto(`${base}/`);
    await page.waitForSelector('#graph svg .node');
    return { page, errors, requests };
  }

  const objectOf = async (base: string, path: string) => (await (await fetch(`${base}/api/v1/objects/${path}`)).json()) as { runs?: DagRunsTable };

  it('clicking a Dag shows its periods x tasks, each cell a phase in words and colour, as the API says', async () => {
    const base = await serve('mediator');
    const { page, errors } = await openPage(base);
    await page.click('#graph .node[data-id="Dag/default/enrich"]');
    await page.waitForSelector('#details[data-loaded="Dag/default/enrich"] #runs-table');
    const api = (await objectOf(base, 'Dag/default/enrich')).runs as DagRunsTable;
    const headers = await page.$$eval('#runs-table thead th', (ths) => ths.map((t) => t.textContent));
    expect(headers).toEqual(['period', 'phase', 're-run', ...api.tasks, 'run']);
    const periods = await page.$$eval('#runs-table tbody tr', (rows) => rows.map((r) => r.getAttribute('data-period')));
    expect(periods).toEqual(api.rows.map((r) => r.period));
    // Every task cell says its phase in its label, not only by colour.
    const labels = await page.$$eval('#runs-table tbody td.cell', (cells) => cells.map((c) => [c.getAttribute('data-phase'), c.getAttribute('aria-label')]));
    expect(labels.length).toBeGreaterThan(0);
    for (const [phase, label] of labels) expect(label).toContain(`: ${phase}`);
    expect(await page.locator('#details section[aria-label="Explain chain"]').count()).toBe(1);
    expect(await page.locator('#details section[aria-label="Recent events"]').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'node-page-dag.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('the Re-run button (reached by Tab, confirmed) creates a DagRun as the user, and the embedded engine runs it', async () => {
    const base = await serve('mediator');
    const { page, errors } = await openPage(base);
    await page.click('#graph .node[data-id="Dag/default/sold"]');
    await page.waitForSelector('#details[data-loaded="Dag/default/sold"] #runs-table button.rerun');
    const period = (await page.getAttribute('#runs-table tbody tr:first-child', 'data-period')) as string;
    const dialogs: string[] = [];
    page.on('dialog', (d) => void (dialogs.push(d.message()), d.accept()));
    // The keyboard: focus the button, then Enter.
    await page.focus('#runs-table tbody tr:first-child button.rerun');
    await page.keyboard.press('Enter');
    const status = page.locator('#details .rerun-status[data-dagrun]');
    await status.waitFor();
    const name = (await status.getAttribute('data-dagrun')) as string;
    expect(dialogs).toEqual([`Re-run Dag default/sold for ${period}? This creates a DagRun as you.`]);
    expect(name.startsWith(`sold-${period}-rerun-`)).toBe(true);
    expect(await status.textContent()).toBe(`DagRun ${name} created for ${period}`);
    // The engine opened the run: the API names it as the period's latest run, and then it ends.
    await page.waitForFunction(
      async ([n]) => {
        const answer = (await (await fetch('api/v1/objects/Dag/default/sold')).json()) as { runs: { rows: { run?: { name: string; phase: string } }[] } };
        return answer.runs.rows.some((r) => r.run?.name === n && r.run?.phase === 'Succeeded');
      },
      [name],
      { polling: 200, timeout: 45_000 },
    );
    await page.screenshot({ path: join(ARTIFACTS, 'node-page-rerun.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  /** Clicks raw-clicks and waits until its panel draws a grid cell (the first pass may not have observed any partition yet). */
  async function openRawClicks(page: Page): Promise<void> {
    await page.click('#graph .node[data-id="Expectation/default/raw-clicks"]');
    await page.waitForSelector('#details[data-loaded="Expectation/default/raw-clicks"] #partition-grid td.cell', { timeout: 20_000 });
  }

  const gridCells = (page: Page) => page.$$eval('#partition-grid td.cell', (tds) => tds.map((t) => [t.getAttribute('data-phase'), t.getAttribute('aria-label')]));

  it('clicking an Expectation shows its partition grid (time x value, phases in words) and its explain chain', async () => {
    const base = await serve('quickstart');
    const { page, errors } = await openPage(base);
    // The panel is live: each change event (dev's passes send many) loads it again, so the reads
    // below may fall during a reload; they see the grid because a reload keeps it (next test).
    await openRawClicks(page);
    const cells = await gridCells(page);
    expect(cells.length).toBeGreaterThan(0);
    for (const [phase, label] of cells) expect(label).toMatch(new RegExp(`\\d+ ${phase as string}`));
    expect(await page.locator('#details section[aria-label="Explain chain"] li').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'node-page-expectation.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('while the open panel reloads (a change, or a click on its node), its grid and explain chain stay on screen until the new answer is drawn', async () => {
    const base = await serve('quickstart');
    const { page, errors } = await openPage(base);
    await openRawClicks(page);
    // Hold the reload's answers, as a slow API would (every one: a change event may reload the
    // panel at the same time), and look at the page meanwhile.
    const objectUrl = (url: URL) => url.pathname === '/api/v1/objects/Expectation/default/raw-clicks';
    const held: Route[] = [];
    let asked: () => void = () => undefined;
    const reloading = new Promise<void>((resolve) => (asked = resolve));
    await page.route(objectUrl, (route) => {
      held.push(route);
      asked();
    });
    await page.click('#graph .node[data-id="Expectation/default/raw-clicks"]');
    await reloading;
    expect((await gridCells(page)).length).toBeGreaterThan(0);
    expect(await page.locator('#details section[aria-label="Explain chain"] li').count()).toBeGreaterThan(0);
    // Let them go (the later ones straight on), then the panel draws the new answer.
    await page.route(objectUrl, (route) => route.continue());
    await Promise.all(held.map((route) => route.continue()));
    await page.waitForSelector('#details[aria-busy="false"] #partition-grid td.cell');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('an Expectation of 365,000 partitions opens: an aggregated grid, its counts, the failure and its reason', async () => {
    const big = bigExpectation();
    server = await startServer({ port: 0, host: '127.0.0.1', metrics: createMetrics({ processMetrics: false }), health: healthy, log: silentLogger(), readApi: { source: big.source, auth: 'none' } });
    const { page, errors, requests } = await openPage(server.url);
    await page.click('#graph .node[data-id="Expectation/scale/campaign-days"]');
    await page.waitForSelector('#details[data-loaded="Expectation/scale/campaign-days"] #partition-grid');
    expect(await page.locator('#details section[aria-label="Partition grid"] h3').textContent()).toBe('Partitions: 365,000');
    // At most 120 time columns and 50 value rows, whatever the number of partitions.
    const columns = await page.locator('#partition-grid thead th').count();
    const rows = await page.locator('#partition-grid tbody tr').count();
    expect(columns - 1).toBeLessThanOrEqual(120);
    expect(rows).toBeLessThanOrEqual(50);
    expect(await page.locator('#partition-grid td[data-phase="Failed"]').count()).toBe(1);
    expect(await page.locator('#details section[aria-label="Failures"]').textContent()).toContain('s3://raw/campaign=13/');
    await page.screenshot({ path: join(ARTIFACTS, 'node-page-365k.png'), fullPage: true });
    expect(requests.filter((u) => !u.startsWith(`${server?.url}/`))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
