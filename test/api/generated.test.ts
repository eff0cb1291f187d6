import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { renderCrdFiles, renderTypes } from '../../scripts/render.js';

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
});
