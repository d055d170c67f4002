import { describe, expect, it } from 'vitest';
import { symbols, terminalStyle } from '../../../src/progress/style.js';

describe('terminalStyle', () => {
  it.each<[string, NodeJS.ProcessEnv, { color: boolean; unicode: boolean }]>([
    ['a UTF-8 LANG', { LANG: 'en_US.UTF-8' }, { color: true, unicode: true }],
    ['utf8 spelled without a dash', { LANG: 'de_DE.utf8' }, { color: true, unicode: true }],
    ['LC_ALL=C beats a UTF-8 LANG', { LC_ALL: 'C', LANG: 'C.UTF-8' }, { color: true, unicode: false }],
    ['LC_CTYPE beats LANG', { LC_CTYPE: 'POSIX', LANG: 'C.UTF-8' }, { color: true, unicode: false }],
    ['an empty LC_ALL is not set', { LC_ALL: '', LANG: 'C.UTF-8' }, { color: true, unicode: true }],
    ['LC_ALL beats LC_CTYPE', { LC_ALL: 'C.UTF-8', LC_CTYPE: 'C' }, { color: true, unicode: true }],
    ['a Latin-1 locale', { LANG: 'en_US.ISO-8859-1' }, { color: true, unicode: false }],
    ['no locale at all is "C"', {}, { color: true, unicode: false }],
    ['the Linux console', { LANG: 'C.UTF-8', TERM: 'linux' }, { color: true, unicode: false }],
    ['NO_COLOR=1', { NO_COLOR: '1', LANG: 'C.UTF-8' }, { color: false, unicode: true }],
    ['NO_COLOR empty does not count', { NO_COLOR: '', LANG: 'C.UTF-8' }, { color: true, unicode: true }],
    ['TERM=dumb', { TERM: 'dumb', LANG: 'C.UTF-8' }, { color: false, unicode: true }],
  ])('%s', (_name, env, want) => {
    expect(terminalStyle(env, 'linux')).toEqual(want);
  });

  it('ASCII symbols without Unicode', () => {
    expect(Object.values(symbols({ color: false, unicode: false })).join('')).toMatch(/^[\x20-\x7e]+$/);
  });
});
