// DESIGN.md's Mediator scenario end to end against a real API server: Dags sold (extract -> load),
// ads (fetch -> load) and enrich (join), daily over three past days, and a DagDependency making
// enrich depend on the whole of sold and on task load of ads. The test plays the kubelet and
// checks what a user would: which Jobs exist, `kubectl get dr`, Dag and DagRun status, Events.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createNamespace, describeIntegration, installCrds } from './harness/cluster.js';
import { conditionsOf } from './controllerFixtures.js';
import { D1, D2, D3, DagScene, dagRunYaml, DAYS, mediatorYaml, runSummary } from './mediatorFixtures.js';

const STEP = 90_000;

describeIntegration('Mediator: enrich runs a day once sold and ads load have succeeded for it', () => {
  let scene: DagScene;

  beforeAll(async () => {
    await installCrds();
    scene = new DagScene(await createNamespace('mediator'));
    await scene.start();
    // ads load has no retries: one failed attempt and the task is Failed.
    await scene.apply(mediatorYaml());
  });

  afterAll(async () => {
    await scene?.stopAll();
  });

  it('the upstreams start every day at once; enrich starts nothing and is WorkingOnIt while its inputs are', async () => {
    await scene.untilRunning(DAYS.flatMap((d) => [`sold/extract@${d}`, `ads/fetch@${d}`]));
    await scene.settle();
    expect(await scene.launched('enrich')).toEqual([]);

    const enrich = await scene.untilDag('enrich', (s) => expect(s.phase).toBe('WorkingOnIt'));
    expect(enrich).toMatchObject({ succeeded: '0/3', periods: { total: 3, succeeded: 0, failed: 0 } });
    expect(conditionsOf(enrich)).toMatchObject({ Valid: 'True/Valid', Satisfied: 'False/WorkingOnIt' });
    const wiring = await scene.get('dd', 'enrich-inputs');
    expect(conditionsOf(wiring.status ?? {})).toEqual({ Valid: 'True/Valid' });

    // The upstream runs are recorded as DagRuns, found by the Dag's label.
    const sold = await scene.dagRuns('sold');
    expect(runSummary(sold)).toEqual(DAYS.map((d) => `${d} Schedule Running`));
    expect(await scene.dagRuns('enrich')).toEqual([]);
  }, STEP);

  it('sold done for every day is not enough: no enrich Job while ads load still runs', async () => {
    await scene.finish(DAYS.map((d) => `sold/extract@${d}`));
    // sold load and ads fetch run side by side: finish sold's loads only.
    await scene.untilRunning(DAYS.flatMap((d) => [`sold/load@${d}`, `ads/fetch@${d}`]));
    await scene.finish(DAYS.map((d) => `sold/load@${d}`));
    const sold = await scene.untilDag('sold', (s) => expect(s.phase).toBe('Satisfied'));
    expect(sold).toMatchObject({ succeeded: '3/3', lastPeriod: D3, periods: { total: 3, succeeded: 3 } });
    expect(conditionsOf(sold)).toMatchObject({ Satisfied: 'True/AllSatisfied', Degraded: 'False/NoFailures' });
    await scene.settle();
    expect(await scene.launched('enrich')).toEqual([]);

    // ads fetch done: ads load runs for every day; sold is complete; still nothing for enrich.
    await scene.finish(DAYS.map((d) => `ads/fetch@${d}`));
    await scene.untilRunning(DAYS.map((d) => `ads/load@${d}`));
    await scene.settle();
    expect(await scene.launched('enrich')).toEqual([]);
    // On a Dag, an upstream at work reads as WorkingOnIt (reason UpstreamWorking inside the engine).
    const enrich = await scene.untilDag('enrich', (s) => expect(s.phase).toBe('WorkingOnIt'));
    expect(enrich).toMatchObject({ succeeded: '0/3' });
  }, STEP);

  it('kubectl get dag enrich while only its upstreams work: WorkingOnIt, 0/3, and no period counted as RUNNING', async () => {
    expect(await scene.launched('enrich')).toEqual([]);
    const got = await scene.kubectl(['get', 'dag', 'enrich']);
    const [header, row] = got.stdout.trim().split('\n');
    expect(header?.trim().split(/\s+/)).toEqual(['NAME', 'PHASE', 'SUCCEEDED', 'RUNNING', 'FAILED', 'LAST', 'VALID', 'SUSPENDED', 'REASON', 'AGE']);
    // No Job of enrich exists: RUNNING ("Periods running now", status.periods.running) must not count the periods waiting on ads.
    expect(row?.trim().split(/\s+/).slice(0, 5)).toEqual(['enrich', 'WorkingOnIt', '0/3', '0', '0']);
    // REASON says why (only an upstream is at work), and the Satisfied condition names it and its period.
    expect(row?.trim().split(/\s+/).at(-2)).toBe('UpstreamWorking'); // before AGE (LAST is blank)
    const enrich = (await scene.get('dag', 'enrich')).status as { conditions: { type: string; message: string }[]; waiting: unknown[] };
    expect(enrich.conditions.find((c) => c.type === 'Satisfied')?.message).toMatch(new RegExp(`^0/3 satisfied; ${D1} waits: Dag ads task load ${D1} is being worked on$`));
    expect(enrich.waiting).toEqual(DAYS.map((d) => ({ period: d, reason: 'UpstreamWorking', message: `Dag ads task load ${d} is being worked on` })));
  }, STEP);

  it('enrich for a day starts as soon as ads load has succeeded for that day, and only that day', async () => {
    await scene.finish([`ads/load@${D1}`]);
    await scene.untilRunning([`ads/load@${D2}`, `ads/load@${D3}`, `enrich/join@${D1}`]);
    await scene.settle();
    expect(await scene.launched('enrich')).toEqual([`enrich/join@${D1}`]);
    const runs = await scene.dagRuns('enrich');
    expect(runSummary(runs)).toEqual([`${D1} Schedule Running`]);
  }, STEP);

  it('ads load failing for D2 (no retries left) blocks enrich for D2 only; D1 and D3 go on', async () => {
    await scene.finish([`ads/load@${D2}`], false);
    await scene.finish([`ads/load@${D3}`]);
    await scene.runAndFinish([`enrich/join@${D1}`, `enrich/join@${D3}`]);

    const ads = await scene.untilDag('ads', (s) => expect(s.phase).toBe('Failed'));
    expect(ads).toMatchObject({ succeeded: '2/3', periods: { total: 3, succeeded: 2, failed: 1 } });
    expect(conditionsOf(ads).Degraded).toMatch(/^True\//);
    const adsRuns = await scene.dagRuns('ads');
    expect(runSummary(adsRuns)).toEqual([`${D1} Schedule Succeeded`, `${D2} Schedule Failed`, `${D3} Schedule Succeeded`]);

    const enrich = await scene.untilDag('enrich', (s) => expect(s).toMatchObject({ phase: 'Waiting', succeeded: '2/3' }));
    expect(enrich).toMatchObject({ periods: { total: 3, succeeded: 2 } });
    expect(conditionsOf(enrich)).toMatchObject({ Satisfied: 'False/Waiting' });
    await scene.settle();
    expect(await scene.launched('enrich')).toEqual([`enrich/join@${D1}`, `enrich/join@${D3}`]);
    expect(await scene.running()).toEqual([]);
    // No run was started for enrich's D2.
    expect(runSummary(await scene.dagRuns('enrich'))).toEqual([`${D1} Schedule Succeeded`, `${D3} Schedule Succeeded`]);
  }, STEP);

  it('enrich says why D2 waits: its status or Events name ads (kubectl describe dag enrich)', async () => {
    const status = await scene.dag('enrich');
    const events = await scene.events('Dag', 'enrich');
    // DESIGN §3 rule 7: "A failed upstream blocks its dependents with a reason that names it";
    // the Mediator scenario: "if ads fails, enrich for D waits and says why".
    const said = [JSON.stringify(status), ...events].join('\n');
    expect(said).toMatch(/\bads\b/);
    const described = (await scene.kubectl(['describe', 'dag', 'enrich'])).stdout;
    expect(described).toMatch(/\bads\b/);
  }, STEP);

  it('a finished DagRun says which Job ran each task', async () => {
    const [run] = (await scene.dagRuns('enrich')).filter((r) => r.period === D1);
    expect(run?.status.tasks).toEqual([expect.objectContaining({ name: 'join', phase: 'Satisfied', action: expect.stringMatching(/^enrich-/) })]);
    expect((run?.status.tasks as { attempts: number }[] | undefined)?.[0]?.attempts).toBe(1);
  }, STEP);

  it('a user re-runs ads for D2 with a DagRun (reason Manual): ads runs D2 again, then enrich runs D2', async () => {
    await scene.kubectl(['create', '-f', '-'], dagRunYaml('ads-fix-d2', 'ads', D2));
    await scene.runAndFinish([`ads/fetch@${D2}`]);
    await scene.runAndFinish([`ads/load@${D2}`]);
    await scene.runAndFinish([`enrich/join@${D2}`]);

    await scene.untilDag('enrich', (s) => expect(s).toMatchObject({ phase: 'Satisfied', succeeded: '3/3', lastPeriod: D3 }));
    const ads = await scene.untilDag('ads', (s) => expect(s).toMatchObject({ phase: 'Satisfied', succeeded: '3/3' }));
    expect(conditionsOf(ads).Degraded).toBe('False/NoFailures');

    const fix = await scene.dagRun('ads-fix-d2');
    expect(fix).toMatchObject({ dag: 'ads', period: D2, reason: 'Manual', phase: 'Succeeded' });
    // sold never ran again; ads ran D2 twice (the failed run, the user's); enrich once per day.
    await scene.settle();
    expect(await scene.launched('sold')).toEqual(DAYS.flatMap((d) => [`sold/extract@${d}`, `sold/load@${d}`]).sort());
    expect(await scene.launched('ads')).toEqual([...DAYS.flatMap((d) => [`ads/fetch@${d}`, `ads/load@${d}`]), `ads/fetch@${D2}`, `ads/load@${D2}`].sort());
    expect(await scene.launched('enrich')).toEqual(DAYS.map((d) => `enrich/join@${d}`));
    expect(runSummary(await scene.dagRuns('enrich'))).toEqual(DAYS.map((d) => `${d} Schedule Succeeded`));
  }, STEP);

  it('kubectl get dr -l homeostat.dev/dag=enrich prints one run per day with DAG, PERIOD, REASON and PHASE', async () => {
    const got = await scene.kubectl(['get', 'dr', '-l', 'homeostat.dev/dag=enrich']);
    const [header, ...rows] = got.stdout.trim().split('\n');
    expect(header?.trim().split(/\s+/)).toEqual(['NAME', 'DAG', 'PERIOD', 'REASON', 'PHASE', 'AGE']);
    expect(rows.map((r) => r.trim().split(/\s+/).slice(1, 5).join(' ')).sort()).toEqual(DAYS.map((d) => `enrich ${d} Schedule Succeeded`));
  }, STEP);

  it("a user's DagRun is listed with its Dag's runs: kubectl get dr -l homeostat.dev/dag=ads shows ads-fix-d2", async () => {
    const names = (await scene.dagRuns('ads')).map((r) => r.name);
    expect(names).toContain('ads-fix-d2');
  }, STEP);

  it('tells the story in Events: runs of enrich started and succeeded; ads load failed with no retries left', async () => {
    const enrich = await scene.events('Dag', 'enrich');
    expect(enrich.filter((e) => /^Normal RunStarted: /.test(e))).toHaveLength(3);
    expect(enrich.filter((e) => /^Normal RunSucceeded: /.test(e))).toHaveLength(3);
    const ads = await scene.events('Dag', 'ads');
    expect(ads.some((e) => /^Warning ActionFailed: .*no retries left/.test(e))).toBe(true);
    expect(ads.some((e) => /^Warning RunFailed: /.test(e))).toBe(true);
  }, STEP);
});
