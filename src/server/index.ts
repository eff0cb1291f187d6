/** The controller's HTTP face: metrics, probes, the observation and lease endpoints (see httpServer.ts). */
export { type Authentication, type Authorization, type Caller, cachedAuth, type Limited, type ObservationAuth, type ObservationTarget, type Subresource } from './auth.js';
export { Health, type HealthChecks, type HealthOptions, type ProbeResult } from './health.js';
export { type RunningServer, type ServerOptions, startServer } from './httpServer.js';
export { LEASE_RENEW_PATH, type LeaseOptions, type Renew, type Renewal } from './leases.js';
export { cachedListAuthorizer, DEFAULT_REVIEW_TIMEOUT_MS, kubeAuth, kubeDagRunCreateAuthorizer, kubeListAuthorizer, type KubeAuthOptions, OBSERVATION_RESOURCE, TOKEN_AUDIENCE } from './kubeAuth.js';
export { clientAddress, type RateLimiter, type RateLimitOptions, tokenBucket } from './rateLimit.js';
export { type TlsFiles, type TlsPair } from './tlsFiles.js';
export { type ControllerMetrics, createMetrics, type Metrics, type MetricsOptions, type ReconcileResult } from './metrics.js';
export { type Deliver, type Delivery, MAX_BODY_BYTES, MAX_RESULTS, type ObservationOptions, OBSERVATIONS_PATH } from './observations.js';
export { API_PREFIX, type ListAuthorizer, READ_KINDS, type ReadApiOptions, type ReadAuth, readApiRoutes, type ViewSource } from './readApi.js';
export { MAX_EVENTS_SHOWN, type NodeDetailsSource, type RecentEvent } from './nodeDetails.js';
export { type CreateAuthorizer, MAX_RERUN_BODY_BYTES, RERUN_PREFIX, type RerunOptions, type RerunRequest, type RerunResult, rerunRoute } from './rerunRoute.js';
