import { describe, expect, it } from 'vitest';
import { isRemote, normaliseRemotePath, parseEndpoints, remoteBase } from '../../../src/copy/endpoints.js';
import { UsageError } from '../../../src/errors.js';

describe('cp operands', () => {
  it.each([
    ['web:/etc', true],
    ['deploy/web:/etc', true],
    ['shop/web-1:/tmp/x', true],
    ['./a:b', false],
    ['/tmp/a:b', false],
    ['a/b/c:d', false],
    ['plain', false],
    [':x', false],
  ])('%s is remote: %s', (s, want) => expect(isRemote(s)).toBe(want));

  it('out of the pod', () => {
    expect(parseEndpoints(['web:/etc/app-secret', './x'])).toEqual({
      direction: 'out',
      remote: { target: 'web', namespace: undefined, path: '/etc/app-secret', written: 'web:/etc/app-secret' },
      local: './x',
    });
  });

  it('into a workload, and kubectl\'s NAMESPACE/POD spelling', () => {
    expect(parseEndpoints(['f', 'deploy/web:tmp/'])).toMatchObject({ direction: 'in', remote: { target: 'deploy/web', namespace: undefined, path: '/tmp' } });
    expect(parseEndpoints(['shop/web:/x', '.'])).toMatchObject({ remote: { target: 'web', namespace: 'shop' } });
  });

  it.each([
    [[], /needs a source and a destination/],
    [['a:/x', 'b:/y'], /both/],
    [['a', 'b'], /neither/],
    [['web:', 'x'], /no path after/],
    [['a', 'b', 'c:/'], /needs a source and a destination/],
  ])('refuses %j', (ops, msg) => {
    expect(() => parseEndpoints(ops)).toThrow(UsageError);
    expect(() => parseEndpoints(ops)).toThrow(msg);
  });

  it('paths stay inside the app root', () => {
    expect(normaliseRemotePath('/../../etc/./passwd')).toBe('/etc/passwd');
    expect(normaliseRemotePath('a/b/../c/')).toBe('/a/c');
    expect(normaliseRemotePath('..')).toBe('/');
    expect(remoteBase('/etc/passwd')).toBe('passwd');
    expect(remoteBase('/')).toBe('');
  });
});
