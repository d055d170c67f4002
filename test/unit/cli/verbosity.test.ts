import { describe, expect, it } from 'vitest';
import { isVerbose, verbosityAt } from '../../../src/cli/verbosity.js';

describe('verbosityAt', () => {
  it.each([
    ['-v', undefined, { level: 1, words: 1 }],
    ['-v', 'pod-1', { level: 1, words: 1 }],
    ['-v', '6', { level: 6, words: 2 }],
    ['-v=6', '7', { level: 6, words: 1 }],
    ['--v=0', undefined, { level: 0, words: 1 }],
    ['-v', '0', { level: 0, words: 2 }],
    ['--verbose', undefined, undefined],
    ['-vq', undefined, undefined],
  ])('%s %s', (word, next, want) => {
    expect(verbosityAt(word, next)).toEqual(want);
  });
});

describe('isVerbose', () => {
  it.each([
    [['pod', '-v'], true],
    [['pod', '--verbose'], true],
    [['pod', '-v', '6'], true],
    [['pod', '-v=0'], false],
    [['pod', '-v', '0'], false],
    [['-v=0', 'pod', '-v'], true],
    [['pod', '--', '-v'], false],
    [['pod'], false],
  ])('%j → %s', (argv, want) => {
    expect(isVerbose(argv)).toBe(want);
  });
});
