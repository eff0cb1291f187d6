import { describe, expect, it } from '@jest/globals';
import { withRestrictedDefaults } from './podDefaults.js';

const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

describe('withRestrictedDefaults', () => {
  it('fills in what the restricted Pod Security profile asks for where the template says nothing', () => {
    const spec = withRestrictedDefaults({ containers: [{ name: 'main' }], initContainers: [{ name: 'init' }] });
    expect(spec.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.containers[0]?.securityContext).toEqual(RESTRICTED_CONTAINER);
    expect(spec.initContainers?.[0]?.securityContext).toEqual(RESTRICTED_CONTAINER);
  });

  it('keeps what the template sets, and adds the rest beside it', () => {
    const input = {
      securityContext: { runAsUser: 1000, fsGroup: 2000, seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } },
      containers: [{ name: 'main', securityContext: { readOnlyRootFilesystem: true, capabilities: { add: ['NET_BIND_SERVICE'] } } }],
    };
    const spec = withRestrictedDefaults(input);
    expect(spec.securityContext).toEqual({ runAsUser: 1000, fsGroup: 2000, runAsNonRoot: true, seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } });
    expect(spec.containers[0]?.securityContext).toEqual({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] } });
    expect(input.securityContext).not.toHaveProperty('runAsNonRoot');
  });

  it('adds no default that contradicts the template (root, privileged, SYS_ADMIN): the API server would refuse the Pod', () => {
    const spec = withRestrictedDefaults({
      containers: [{ name: 'root', securityContext: { runAsUser: 0 } }, { name: 'priv', securityContext: { privileged: true } }, { name: 'admin', securityContext: { capabilities: { add: ['CAP_SYS_ADMIN'] } } }],
    });
    expect(spec.securityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.containers[1]?.securityContext).toEqual({ privileged: true, capabilities: { drop: ['ALL'] } });
    expect(spec.containers[2]?.securityContext).toEqual({ capabilities: { add: ['CAP_SYS_ADMIN'], drop: ['ALL'] } });
  });
});
