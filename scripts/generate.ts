// `make generate`: writes crds/ and src/api/generated/types.ts from the schemas in src/api/schema.
// A test (test/api/generated.test.ts) fails when either is out of date.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCrdFiles, renderTypes } from './render.js';

const root = join(import.meta.dirname, '..');
mkdirSync(join(root, 'crds'), { recursive: true });
for (const [file, text] of Object.entries(renderCrdFiles())) {
  writeFileSync(join(root, 'crds', file), text);
}
mkdirSync(join(root, 'src/api/generated'), { recursive: true });
writeFileSync(join(root, 'src/api/generated/types.ts'), await renderTypes());
console.log('generated crds/ and src/api/generated/types.ts');
