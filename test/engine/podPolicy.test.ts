import { describe, expect, it } from '@jest/globals';
import { DEFAULT_POD_POLICY } from '../../src/api/podPolicy.js';
import { checker, expectation, expId, Simulation } from './simulation.js';

const hostPathAction = { job: { template: { spec: { containers: [{ name: 'load', image: 'example/load:1' }], volumes: [{ name: 'root', hostPath: { path: '/' } }] } } } };
const problems = (sim: Simulation) => sim.engine.problems().map((p) => `${p.kind}/${p.name} ${p.reason}: ${p.message}`);

describe('the pod policy, when objects are compiled', () => {
  it('makes an Expectation whose action template breaks it invalid: never checked, never launched', () => {
    const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report', { action: hostPathAction }), expectation('fine')] }, undefined, { podPolicy: DEFAULT_POD_POLICY });
    sim.settle();
    expect(problems(sim)).toEqual([
      "Expectation/report PodPolicyViolation: spec.action.job.template.spec.volumes[0].hostPath: a hostPath volume is not allowed by the controller's pod policy (allow hostPath in podPolicy.allow)",
    ]);
    expect(sim.engine.node(expId('report'))).toBeUndefined();
    expect(sim.launches.map((l) => l.owner.name)).toEqual(['fine']);
  });

  it('makes the Expectations of a refused StateChecker invalid too (CheckerRefused), so no checker Pod runs', () => {
    const sim = new Simulation({ checkers: [checker('files', { serviceAccountName: 'cluster-admin' })], expectations: [expectation('report')] }, undefined, { podPolicy: DEFAULT_POD_POLICY });
    sim.settle();
    expect(problems(sim)).toEqual([
      'StateChecker/files PodPolicyViolation: spec.serviceAccountName: service account "cluster-admin" is not allowed in namespace default by the controller\'s pod policy (allowed: default; add default/cluster-admin to podPolicy.serviceAccounts)',
      'Expectation/report CheckerRefused: StateChecker files: spec.serviceAccountName: service account "cluster-admin" is not allowed in namespace default by the controller\'s pod policy (allowed: default; add default/cluster-admin to podPolicy.serviceAccounts)',
    ]);
    expect(sim.plans.flatMap((p) => p.checks)).toEqual([]);
    expect(sim.launches).toEqual([]);
  });

  it("refuses every object in the controller's namespace", () => {
    const sim = new Simulation({ checkers: [checker()], expectations: [expectation('report')] }, undefined, { podPolicy: { ...DEFAULT_POD_POLICY, protectedNamespaces: ['default'] } });
    sim.settle();
    expect(problems(sim).map((p) => p.split(':')[0])).toEqual(['StateChecker/files ProtectedNamespace', 'Expectation/report ProtectedNamespace']);
    expect(sim.launches).toEqual([]);
  });
});
