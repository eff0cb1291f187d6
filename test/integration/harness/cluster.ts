// What an integration test file uses: the shared control plane started by globalSetup, a namespace
// of its own, the CRDs, and describeIntegration, which skips when globalSetup skipped.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe } from '@jest/globals';
import { type Cluster, connect, type KubectlResult, REPO_ROOT } from './controlPlane.js';
import { KUBECONFIG_ENV, SKIPPED_ENV, skippedBanner } from './env.js';

export type { Cluster, KubectlResult } from './controlPlane.js';

export const CRD_DIR = join(REPO_ROOT, 'crds');

/** Why this file's tests are skipped, or undefined when a control plane is up. */
export const skipReason: string | undefined =
  process.env[SKIPPED_ENV] ??
  (process.env[KUBECONFIG_ENV] === undefined
    ? `${KUBECONFIG_ENV} is not set: run the integration tests with jest.integration.config.js, whose globalSetup starts the control plane`
    : undefined);

// globalSetup already printed the banner when it decided to skip; here only the other case.
if (skipReason !== undefined && process.env[SKIPPED_ENV] === undefined) console.warn(skippedBanner(skipReason));

/** describe, or describe.skip when there is no control plane. */
export const describeIntegration: typeof describe.skip = skipReason === undefined ? describe : describe.skip;

let shared: Cluster | undefined;

/** The shared control plane (connect lazily: only call it inside tests and hooks). */
export function cluster(): Cluster {
  const path = process.env[KUBECONFIG_ENV];
  if (path === undefined) throw new Error(skipReason);
  return (shared ??= connect(path));
}

/** Creates a namespace with a random suffix. Namespaces are never deleted: without a controller-manager they stay Terminating. */
export async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await must(cluster().kubectl(['create', 'namespace', name]));
  return name;
}

/**
 * `kubectl apply -f crds/` then waits until every CRD is Established. Idempotent; test files
 * running in parallel may race to create the same CRD, so an AlreadyExists is retried.
 */
export function installCrds(): Promise<KubectlResult> {
  // Once per test file (jest gives every file its own module registry).
  return (crdsInstalled ??= applyCrds());
}

let crdsInstalled: Promise<KubectlResult> | undefined;

async function applyCrds(): Promise<KubectlResult> {
  let applied = await cluster().kubectl(['apply', '-f', CRD_DIR]);
  for (let i = 0; i < 3 && applied.code !== 0 && /AlreadyExists|the object has been modified/.test(applied.stderr); i++) {
    applied = await cluster().kubectl(['apply', '-f', CRD_DIR]);
  }
  must(applied, 'kubectl apply -f crds/');
  must(await cluster().kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', CRD_DIR]), 'kubectl wait Established');
  return applied;
}

/** Fails with kubectl's output unless it exited 0; returns the result for chaining. */
export function must<T extends KubectlResult | Promise<KubectlResult>>(result: T, what?: string): T {
  const check = (r: KubectlResult) => {
    if (r.code !== 0) throw new Error(`${what ?? 'kubectl'} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
    return r;
  };
  return (result instanceof Promise ? result.then(check) : check(result)) as T;
}

/** Retries fn every 250 ms until it stops throwing, or rethrows its last error after timeoutMs. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
