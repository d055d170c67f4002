import { describe, expect, it } from 'vitest';
import { entryComponents, isRefusal, linkStaysInside } from '../../../src/copy/safety.js';

describe('entry names', () => {
  it.each([
    ['./d/a', ['d', 'a']],
    ['d//a/', ['d', 'a']],
    ['./', []],
  ])('%s -> %j', (name, want) => expect(entryComponents(name)).toEqual(want));

  it.each(['/etc/passwd', './d/../../x', '../x', 'd/..'])('%s is refused', (name) => {
    expect(isRefusal(entryComponents(name))).toBe(true);
  });
});

describe('links', () => {
  it.each([
    [['top', 'a'], 'b', true],
    [['top', 'd', 'a'], '../b', true],
    [['top', 'd', 'a'], '../../top/b', false],
    [['top', 'a'], '../x', false],
    [['top', 'a'], '/etc/passwd', false],
    [['top', 'a'], '', false],
    [['top', 'd', 'a'], './../../..', false],
    [['', 'etc', 'l'], '../usr/lib/os-release', true],
    [['', 'l'], '../x', false],
  ])('a link at %j to %s stays inside: %s', (at, target, want) => {
    expect(linkStaysInside(at, target)).toBe(want);
  });
});
