import type { V1EnvVar, V1Volume, V1VolumeMount } from '@kubernetes/client-node';

/**
 * What an action Pod needs to renew its lease with the controller: the URL, a token the
 * controller accepts, and the CA that signs the controller's certificate.
 *
 * The controller accepts only tokens for the audience homeostat.dev (server/kubeAuth.ts), which the
 * API server refuses in turn, so a token seen on the way is no use against the cluster. The
 * Pod's default token is for the API server: the Pod gets a projected one for homeostat.dev,
 * rotated by the kubelet, at the path the checker SDK reads by default.
 */
export interface ActionCallback {
  /** POST /v1/leases/renew as Jobs reach the controller (HOMEOSTAT_LEASE_RENEW_URL). */
  leaseRenewUrl: string;
  /** The PEM of the CA that signs the controller's certificate (HOMEOSTAT_CA_CERT); public data. */
  caPem?: string;
}

export const TOKEN_AUDIENCE = 'homeostat.dev';
export const TOKEN_DIRECTORY = '/var/run/secrets/homeostat.dev/serviceaccount';
const TOKEN_VOLUME = 'homeostat-token';
/** An hour, the kubelet renews it at 80 %; the API server's minimum is 10 minutes. */
const TOKEN_SECONDS = 3600;

export interface CallbackPodParts {
  env: V1EnvVar[];
  volume: V1Volume;
  mount: V1VolumeMount;
}

export function callbackPodParts(callback: ActionCallback): CallbackPodParts {
  return {
    env: [
      { name: 'HOMEOSTAT_LEASE_RENEW_URL', value: callback.leaseRenewUrl },
      { name: 'HOMEOSTAT_TOKEN_FILE', value: `${TOKEN_DIRECTORY}/token` },
      ...(callback.caPem !== undefined ? [{ name: 'HOMEOSTAT_CA_CERT', value: callback.caPem }] : []),
    ],
    volume: { name: TOKEN_VOLUME, projected: { sources: [{ serviceAccountToken: { audience: TOKEN_AUDIENCE, expirationSeconds: TOKEN_SECONDS, path: 'token' } }] } },
    mount: { name: TOKEN_VOLUME, mountPath: TOKEN_DIRECTORY, readOnly: true },
  };
}
