/**
 * ObservationAuth against the API server, as kube-rbac-proxy and aggregated API servers do it:
 * a TokenReview (authentication.k8s.io/v1) says who holds a bearer token issued for the audience
 * homeostat.dev (TOKEN_AUDIENCE; any other token is rejected), a SubjectAccessReview
 * (authorization.k8s.io/v1) says whether RBAC lets them
 *   create expectations/observations (group homeostat.dev) named <expectation> in <namespace>,
 * or expectations/heartbeats for lease renewals.
 *
 * The controller's own identity needs `create` on tokenreviews and subjectaccessreviews: bind it
 * to the built-in ClusterRole system:auth-delegator. A caller needs, for example:
 *   rules: [{apiGroups: [homeostat.dev], resources: [expectations/observations], resourceNames: [NAME], verbs: [create]}]
 * Each review is cut off after `timeoutMs` (503 for the caller, not 401).
 */
import { ApiException, AuthenticationV1Api, AuthorizationV1Api, type KubeConfig, type V1ResourceAttributes, type V1SubjectAccessReview } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/schema/kind.js';
import { describeError } from '../kube/client.js';
import type { Authentication, Authorization, Caller, ObservationAuth, ObservationTarget, Subresource } from './auth.js';
import type { ListAuthorizer } from './readApi.js';
import type { CreateAuthorizer } from './rerunRoute.js';

/** The resource and subresource a caller is authorized against. */
export const OBSERVATION_RESOURCE = { group: GROUP, resource: 'expectations', subresource: 'observations', verb: 'create' } as const;

/**
 * The audience a caller's token must be issued for: a projected ServiceAccount token
 * (`serviceAccountToken: {audience: homeostat.dev}`, or `kubectl create token SA --audience
 * homeostat.dev`). The API server refuses such a token, so one captured on its way to Homeostat
 * cannot be replayed against the API server; and a Pod's default token (audience: the API server)
 * is refused here, so Homeostat is never handed a credential that could act on the cluster.
 */
export const TOKEN_AUDIENCE = 'homeostat.dev';

/** How long a TokenReview or SubjectAccessReview may take before the answer is 503. */
export const DEFAULT_REVIEW_TIMEOUT_MS = 5_000;

export interface KubeAuthOptions {
  /** Audiences a token must be issued for (TokenReview spec.audiences). Defaults to [TOKEN_AUDIENCE]. */
  audiences?: string[];
  /** Defaults to DEFAULT_REVIEW_TIMEOUT_MS: a slow API server makes callers retry, not wait. */
  timeoutMs?: number;
}

/** Reviews tokens and access with the identity of `config` (which needs system:auth-delegator). */
export function kubeAuth(config: KubeConfig, options: KubeAuthOptions = {}): ObservationAuth {
  const authentication = config.makeApiClient(AuthenticationV1Api);
  const authorization = config.makeApiClient(AuthorizationV1Api);
  const audiences = options.audiences ?? [TOKEN_AUDIENCE];
  if (audiences.length === 0) throw new Error('kubeAuth: at least one token audience is required');
  const timeoutMs = options.timeoutMs ?? DEFAULT_REVIEW_TIMEOUT_MS;

  return {
    async authenticate(token: string): Promise<Authentication> {
      let review;
      try {
        review = await withTimeout(
          authentication.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } } }),
          timeoutMs,
          'TokenReview',
        );
      } catch (error) {
        // describeError keeps the status and the server's message only: the request (and its
        // token) never reaches a log through an ApiException.
        return { status: 'unavailable', reason: error instanceof ReviewTimeout ? error.message : `the TokenReview failed: ${reviewError(error)}` };
      }
      const status = review.status;
      const username = status?.user?.username;
      if (status?.authenticated !== true || username === undefined || username === '') {
        return { status: 'rejected', reason: status?.error !== undefined && status.error !== '' ? status.error : 'the token is not valid' };
      }
      // The API server answers with the audiences the token is valid for, a subset of those asked.
      if (!(status.audiences ?? []).some((a) => audiences.includes(a))) {
        return { status: 'rejected', reason: `the token is not for ${audiences.join(' or ')}` };
      }
      const user = status.user!;
      return {
        status: 'authenticated',
        caller: {
          username,
          ...(user.uid !== undefined && user.uid !== '' ? { uid: user.uid } : {}),
          ...(user.groups !== undefined ? { groups: user.groups } : {}),
          ...(user.extra !== undefined ? { extra: user.extra } : {}),
        },
      };
    },

    async authorize(caller: Caller, target: ObservationTarget, subresource: Subresource = 'observations'): Promise<Authorization> {
      let review;
      try {
        review = await subjectAccessReview(authorization, caller, {
          namespace: target.namespace,
          verb: OBSERVATION_RESOURCE.verb,
          group: OBSERVATION_RESOURCE.group,
          version: VERSION,
          resource: OBSERVATION_RESOURCE.resource,
          subresource,
          name: target.expectation,
        }, timeoutMs);
      } catch (error) {
        return { status: 'unavailable', reason: error instanceof ReviewTimeout ? error.message : `the SubjectAccessReview failed: ${reviewError(error)}` };
      }
      const status = review.status;
      if (status?.allowed === true && status.denied !== true) return { status: 'allowed' };
      const reason = [status?.reason, status?.evaluationError].filter((s): s is string => s !== undefined && s !== '').join('; ');
      return { status: 'denied', reason };
    },
  };
}

/**
 * May `caller` do this? One SubjectAccessReview, with the caller's groups and extra too (RBAC
 * bindings name groups: system:serviceaccounts:NS, system:masters), cut off after `timeoutMs`.
 */
function subjectAccessReview(authorization: AuthorizationV1Api, caller: Caller, resourceAttributes: V1ResourceAttributes, timeoutMs: number): Promise<V1SubjectAccessReview> {
  return withTimeout(
    authorization.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: caller.username,
          ...(caller.uid !== undefined ? { uid: caller.uid } : {}),
          ...(caller.groups !== undefined ? { groups: caller.groups } : {}),
          ...(caller.extra !== undefined ? { extra: caller.extra } : {}),
          resourceAttributes,
        },
      },
    }),
    timeoutMs,
    'SubjectAccessReview',
  );
}

class ReviewTimeout extends Error {}

/**
 * `call`, or a ReviewTimeout after `ms`. The request itself runs on (the generated client takes no
 * AbortSignal) but its answer is dropped; the caller is told 503 at once.
 */
async function withTimeout<T>(call: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReviewTimeout(`the API server did not answer the ${what} within ${ms} ms`)), ms);
  });
  try {
    // race() handles a late rejection of `call` too: nothing goes unhandled.
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function reviewError(error: unknown): string {
  const text = describeError(error);
  return error instanceof ApiException && (error.code === 401 || error.code === 403) ? `${text} (does the controller's identity have system:auth-delegator?)` : text;
}

/**
 * The read API's check (readApi.ts): may `caller` list `resource` (homeostat.dev) in `namespace`
 * (undefined: in every namespace)? A SubjectAccessReview with the controller's identity, cut off
 * after `timeoutMs`; answers are cached by cachedListAuth.
 */
export function kubeListAuthorizer(config: KubeConfig, options: { timeoutMs?: number } = {}): ListAuthorizer {
  const authorization = config.makeApiClient(AuthorizationV1Api);
  const timeoutMs = options.timeoutMs ?? DEFAULT_REVIEW_TIMEOUT_MS;
  return async (caller, resource, namespace) => {
    try {
      const review = await subjectAccessReview(authorization, caller, { ...(namespace !== undefined ? { namespace } : {}), verb: 'list', group: GROUP, version: VERSION, resource }, timeoutMs);
      return review.status?.allowed === true && review.status.denied !== true ? 'allowed' : 'denied';
    } catch {
      return 'unavailable';
    }
  };
}

/** Reuses an allowed answer for `ttlMs` (default 60 s), as cachedAuth does; denials are asked again. */
export function cachedListAuthorizer(inner: ListAuthorizer, ttlMs = 60_000, now: () => number = Date.now): ListAuthorizer {
  const allowed = new Map<string, number>();
  return async (caller, resource, namespace) => {
    const key = JSON.stringify([caller.username, caller.uid ?? '', [...(caller.groups ?? [])].sort(), resource, namespace ?? '']);
    const until = allowed.get(key);
    if (until !== undefined && until > now()) return 'allowed';
    const answer = await inner(caller, resource, namespace);
    if (answer === 'allowed') {
      if (allowed.size > 10_000) allowed.clear();
      allowed.set(key, now() + ttlMs);
    }
    return answer;
  };
}

/**
 * The re-run route's check (rerunRoute.ts): may `caller` create DagRuns (homeostat.dev) in
 * `namespace`? A SubjectAccessReview for the caller's identity, never cached: a re-run is rare,
 * and a revoked right must stop it at once.
 */
export function kubeDagRunCreateAuthorizer(config: KubeConfig, options: { timeoutMs?: number } = {}): CreateAuthorizer {
  const authorization = config.makeApiClient(AuthorizationV1Api);
  const timeoutMs = options.timeoutMs ?? DEFAULT_REVIEW_TIMEOUT_MS;
  return async (caller, namespace) => {
    try {
      const review = await subjectAccessReview(authorization, caller, { namespace, verb: 'create', group: GROUP, version: VERSION, resource: 'dagruns' }, timeoutMs);
      return review.status?.allowed === true && review.status.denied !== true ? 'allowed' : 'denied';
    } catch {
      return 'unavailable';
    }
  };
}
