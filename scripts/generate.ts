// `make generate`: writes crds/ and src/api/generated/types.ts from the schemas in src/api/schema,
// the chart's copy of the CRDs (charts/homeostat/files/crds/), and manifests/ rendered from the
// chart with helm (built once by hack/helm/setup.sh). A test (test/api/generated.test.ts) fails when
// any of them is out of date.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CHART_DIR, helmBinary, renderChartCrdFiles, renderCrdFiles, renderManifests, renderTypes } from './render.js';

const root = join(import.meta.dirname, '..');
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};
for (const [file, text] of Object.entries(renderCrdFiles())) write(join('crds', file), text);
write('src/api/generated/types.ts', await renderTypes());
rmSync(join(root, CHART_DIR, 'files/crds'), { recursive: true, force: true });
for (const [path, text] of Object.entries(renderChartCrdFiles())) write(path, text);
const helm = helmBinary(root, { build: true }) as string;
for (const [path, text] of Object.entries(renderManifests(helm, root))) write(path, text);
console.log('generated crds/, src/api/generated/types.ts, charts/homeostat/files/crds/ and manifests/');
