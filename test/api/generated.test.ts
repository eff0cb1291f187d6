import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { helmBinary, renderChartCrdFiles, renderCrdFiles, renderManifests, renderTypes } from '../../scripts/render.js';
import { isCI } from '../integration/harness/env.js';

const root = join(import.meta.dirname, '../..');
const onDisk = (path: string) => readFileSync(join(root, path), 'utf8');

// crds/ and src/api/generated/ are generated from src/api/schema; a schema change without
// `make generate` would ship CRDs and types that disagree with the validator.
describe('generated files are up to date (run make generate)', () => {
  it.each(Object.entries(renderCrdFiles()))('crds/%s', (file, text) => {
    expect({ file: `crds/${file}`, text: onDisk(join('crds', file)) }).toEqual({ file: `crds/${file}`, text });
  });

  it('src/api/generated/types.ts', async () => {
    expect(onDisk('src/api/generated/types.ts')).toEqual(await renderTypes());
  });

  // The chart installs and upgrades the CRDs from its own copy (Helm reads only files inside a chart).
  it.each(Object.entries(renderChartCrdFiles()))('%s', (path, text) => {
    expect({ path, text: onDisk(path) }).toEqual({ path, text });
  });

  it('charts/homeostat/files/crds/ has no other file (a CRD removed from the schema)', () => {
    const dir = 'charts/homeostat/files/crds';
    expect(readdirSync(join(root, dir)).map((f) => `${dir}/${f}`).sort()).toEqual(Object.keys(renderChartCrdFiles()).sort());
  });
});

// manifests/ is `helm template` of the chart: a chart change without `make generate` would leave
// `kubectl apply -k manifests/` (and the RBAC test, which applies manifests/rbac.yaml) behind.
// Needs helm: the cached build of hack/helm/setup.sh (or $HOMEOSTAT_HELM). Without it the test is
// skipped loudly; with CI=true helm is built (minutes, once) and its absence is a failure.
const helm = helmBinary(root, { build: isCI() });
if (helm === undefined) {
  const line = '!'.repeat(78);
  console.warn(`\n${line}\n!! SKIPPED: manifests/ up to date with charts/homeostat: helm is not built (make helm)\n!! (with CI=true it is built, and a failure to build fails)\n${line}\n`);
}

(helm === undefined ? describe.skip : describe)('manifests/ is rendered from charts/homeostat (run make generate)', () => {
  it.each(Object.entries(helm === undefined ? { skipped: '' } : renderManifests(helm, root)))('%s', (path, text) => {
    expect({ path, text: onDisk(path) }).toEqual({ path, text });
  });
});
