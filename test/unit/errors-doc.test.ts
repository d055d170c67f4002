import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderErrorsDoc } from '../e2e/bad-input-doc.js';

// docs/errors.md states only what the bad-input table asserts: it is rendered
// from that table. Regenerate with scripts/gen-errors-doc.mjs.
describe('docs/errors.md', () => {
  it('is up to date with test/e2e/bad-input-cases.ts', () => {
    expect(readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')).toBe(renderErrorsDoc());
  });
});
