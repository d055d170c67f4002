#!/usr/bin/env node
// Writes docs/errors.md from the bad-input table (test/e2e/bad-input-cases.ts).
// `--check` writes nothing and exits 1 when docs/errors.md is stale.
// The table is TypeScript: esbuild (a dev dependency) bundles the renderer in memory.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = fileURLToPath(new URL('..', import.meta.url));
const doc = `${repo}docs/errors.md`;
const bundle = await build({
  entryPoints: [`${repo}test/e2e/bad-input-doc.ts`],
  bundle: true,
  format: 'esm',
  platform: 'node',
  write: false,
});
const { renderErrorsDoc } = await import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString('base64')}`);
const text = renderErrorsDoc();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(doc, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (current !== text) {
    console.error('docs/errors.md is stale: run scripts/gen-errors-doc.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(doc, text);
}
