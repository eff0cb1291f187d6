import { describe, expect, it } from '@jest/globals';
import { checkPodPolicy, DEFAULT_POD_POLICY, type PodPolicy } from './podPolicy.js';
import type { Dag, Expectation, HomeostatObject, StateChecker } from './types.js';

const apiVersion = 'homeostat.dev/v1alpha1';
const container = { name: 'main', image: 'example/job:1' };

const withAction = (pod: Record<string, unknown>, namespace = 'team-a'): Expectation => ({
  apiVersion, kind: 'Expectation', metadata: { name: 'load', namespace },
  spec: { checker: { ref: 'files' }, action: { job: { template: { spec: { containers: [container], ...pod } } } } },
});
const withTask = (pod: Record<string, unknown>): Dag => ({
  apiVersion, kind: 'Dag', metadata: { name: 'etl', namespace: 'team-a' },
  spec: { tasks: [{ name: 'ok', job: { template: { spec: { containers: [container] } } } }, { name: 'bad', job: { template: { spec: { containers: [container], ...pod } } } }] } as Dag['spec'],
});
const checker = (spec: Partial<StateChecker['spec']>): StateChecker => ({
  apiVersion, kind: 'StateChecker', metadata: { name: 'files', namespace: 'team-a' }, spec: { image: 'example/check:1', ...spec },
});

/** The problems as `Kind Reason: message`. */
const refusals = (objects: HomeostatObject[], policy: PodPolicy = DEFAULT_POD_POLICY) => checkPodPolicy(objects, policy).map((p) => `${p.kind} ${p.reason}: ${p.message}`);

describe('checkPodPolicy', () => {
  it('accepts a plain template, the default service account and restricted security settings', () => {
    expect(refusals([
      withAction({ serviceAccountName: 'default', securityContext: { runAsNonRoot: true }, containers: [{ ...container, securityContext: { capabilities: { drop: ['ALL'] } }, ports: [{ containerPort: 80 }] }] }),
      withTask({}),
      checker({}),
    ])).toEqual([]);
  });

  it.each([
    ['a hostPath volume', { volumes: [{ name: 'data', emptyDir: {} }, { name: 'root', hostPath: { path: '/' } }] }, 'spec.action.job.template.spec.volumes[1].hostPath: a hostPath volume is not allowed'],
    ['host networking', { hostNetwork: true }, 'spec.action.job.template.spec.hostNetwork: hostNetwork is not allowed'],
    ['the host PID namespace', { hostPID: true }, 'spec.action.job.template.spec.hostPID: hostPID is not allowed'],
    ['the host IPC namespace', { hostIPC: true }, 'spec.action.job.template.spec.hostIPC: hostIPC is not allowed'],
    ['a privileged init container', { initContainers: [{ ...container, securityContext: { privileged: true } }] }, 'spec.action.job.template.spec.initContainers[0].securityContext.privileged: a privileged container is not allowed'],
    ['an added capability', { containers: [{ ...container, securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }] }, 'spec.action.job.template.spec.containers[0].securityContext.capabilities.add[0]: adding capability "SYS_ADMIN" is not allowed'],
    ['a host port', { containers: [{ ...container, ports: [{ containerPort: 80, hostPort: 80 }] }] }, 'spec.action.job.template.spec.containers[0].ports[0].hostPort: a hostPort is not allowed'],
    ['another service account', { serviceAccountName: 'deployer' }, 'spec.action.job.template.spec.serviceAccountName: service account "deployer" is not allowed in namespace team-a'],
    ['another service account by its deprecated field', { serviceAccount: 'deployer' }, 'spec.action.job.template.spec.serviceAccount: service account "deployer" is not allowed'],
  ])('refuses an action template asking for %s, naming the field', (_what, pod, message) => {
    const [problem] = refusals([withAction(pod)]);
    expect(problem).toContain('Expectation PodPolicyViolation: ');
    expect(problem).toContain(message);
  });

  it("names the Dag task's field, and every field at fault at once", () => {
    expect(refusals([withTask({ hostNetwork: true, volumes: [{ name: 'root', hostPath: { path: '/' } }] })])).toEqual([
      "Dag PodPolicyViolation: spec.tasks[1].job.template.spec.hostNetwork: hostNetwork is not allowed by the controller's pod policy (allow hostNetwork in podPolicy.allow); " +
        "spec.tasks[1].job.template.spec.volumes[0].hostPath: a hostPath volume is not allowed by the controller's pod policy (allow hostPath in podPolicy.allow)",
    ]);
  });

  it("refuses a StateChecker naming a service account the policy does not list, saying which are allowed", () => {
    expect(refusals([checker({ serviceAccountName: 'cluster-admin' })], { ...DEFAULT_POD_POLICY, serviceAccounts: ['team-a/reader', 'team-b/writer'] })).toEqual([
      'StateChecker PodPolicyViolation: spec.serviceAccountName: service account "cluster-admin" is not allowed in namespace team-a by the controller\'s pod policy (allowed: default, reader; add team-a/cluster-admin to podPolicy.serviceAccounts)',
    ]);
  });

  it('allows what the administrator allows: service accounts per namespace or everywhere, features, capabilities', () => {
    const policy: PodPolicy = { protectedNamespaces: [], serviceAccounts: ['team-a/loader', '*/reader'], allow: ['hostPath', 'hostNetwork'], capabilities: ['NET_BIND_SERVICE'] };
    expect(refusals([
      withAction({ serviceAccountName: 'loader', hostNetwork: true, volumes: [{ name: 'v', hostPath: { path: '/data' } }], containers: [{ ...container, securityContext: { capabilities: { add: ['CAP_NET_BIND_SERVICE'] } } }] }),
      checker({ serviceAccountName: 'reader' }),
    ], policy)).toEqual([]);
    // Per namespace: team-a's loader is not team-b's.
    expect(refusals([withAction({ serviceAccountName: 'loader' }, 'team-b')], policy)).toHaveLength(1);
  });

  it("refuses every object in a protected namespace (the controller's own), before looking at its fields", () => {
    const policy: PodPolicy = { ...DEFAULT_POD_POLICY, protectedNamespaces: ['homeostat-system'] };
    expect(refusals([withAction({ hostNetwork: true }, 'homeostat-system')], policy)).toEqual([
      "Expectation ProtectedNamespace: namespace homeostat-system is the controller's own: Homeostat objects there are refused, so no Pod runs with its rights (--protected-namespaces)",
    ]);
  });

  it('reads templates of any shape without throwing', () => {
    const odd = withAction({ volumes: 'no', containers: [null, 3, { securityContext: 'x' }], initContainers: {} });
    expect(() => refusals([odd])).not.toThrow();
  });
});
