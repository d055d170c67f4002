import { describe, expect, it } from 'vitest';
import { parseWarnings, WarningLog } from '../../../src/kube/warnings.js';

describe('parseWarnings', () => {
  it.each([
    [undefined, []],
    ['299 - "would violate PodSecurity \\"baseline:latest\\": host namespaces"', ['would violate PodSecurity "baseline:latest": host namespaces']],
    // Node joins repeated headers with ", "; a comma inside the text stays.
    ['299 - "a, b", 299 - "c"', ['a, b', 'c']],
    [['299 - "x"', '299 - "y"'], ['x', 'y']],
    // Only warn-code 299 is an API server warning; a date after the text is allowed.
    ['199 - "stale", 299 kube-apiserver "z" "Sat, 28 Nov 2026 10:00:00 GMT"', ['z']],
    ['garbage', []],
  ])('%j', (header, want) => {
    expect(parseWarnings(header)).toEqual(want);
  });
});

describe('WarningLog', () => {
  it('shows each text once and counts distinct ones', () => {
    const shown: string[] = [];
    const log = new WarningLog((t) => shown.push(t));
    log.add(['a', 'b']);
    log.add(['a']);
    expect(shown).toEqual(['a', 'b']);
    expect(log.count).toBe(2);
    expect(log.first).toBe('a');
  });
});
