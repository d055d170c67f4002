import { describe, expect, it } from 'vitest';
import { configKeyMatches, findCredentials, normalizeConfigKey } from '../../../src/registry/credentials.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const config = (auths: Record<string, unknown>, extra: Record<string, unknown> = {}): string => JSON.stringify({ auths, ...extra });

describe('normalizeConfigKey', () => {
  it.each([
    ['https://index.docker.io/v1/', 'index.docker.io'],
    ['index.docker.io', 'index.docker.io'],
    ['http://127.0.0.1:5000', '127.0.0.1:5000'],
    ['https://Registry.Example.com/v2/', 'registry.example.com'],
    ['registry.example.com:443/some/path', 'registry.example.com:443'],
    ['  ghcr.io  ', 'ghcr.io'],
  ])('%s -> %s', (key, want) => {
    expect(normalizeConfigKey(key)).toBe(want);
  });
});

describe('configKeyMatches', () => {
  it.each([
    // Docker Hub: every spelling of it, and nothing else
    ['https://index.docker.io/v1/', 'docker.io', true],
    ['index.docker.io', 'docker.io', true],
    ['docker.io', 'docker.io', true],
    ['https://registry-1.docker.io', 'docker.io', true],
    ['https://index.docker.io/v1/', 'registry-1.docker.io', true],
    ['ghcr.io', 'docker.io', false],
    ['https://index.docker.io/v1/', 'ghcr.io', false],
    // others: host, host:port, with scheme and path
    ['ghcr.io', 'ghcr.io', true],
    ['https://ghcr.io', 'ghcr.io', true],
    ['https://ghcr.io/v2/', 'ghcr.io', true],
    ['GHCR.io', 'ghcr.io', true],
    ['127.0.0.1:5000', '127.0.0.1:5000', true],
    ['http://127.0.0.1:5000/', '127.0.0.1:5000', true],
    ['127.0.0.1', '127.0.0.1:5000', false],
    ['127.0.0.1:5001', '127.0.0.1:5000', false],
    ['ghcr.io.evil.com', 'ghcr.io', false],
    ['evil.ghcr.io', 'ghcr.io', false],
    // globs, as the kubelet accepts them
    ['*.azurecr.io', 'myreg.azurecr.io', true],
    ['https://*.azurecr.io', 'myreg.azurecr.io', true],
    ['*.azurecr.io', 'azurecr.io', false],
    ['*.azurecr.io', 'a.b.azurecr.io', false],
    ['*.example.com:5000', 'r.example.com:5000', true],
    ['*.example.com', 'r.example.com:5000', false],
    ['', 'ghcr.io', false],
  ])('%j names %s: %s', (key, registry, want) => {
    expect(configKeyMatches(key, registry)).toBe(want);
  });
});

describe('findCredentials', () => {
  it('decodes auth (user:pass, the password may contain colons)', () => {
    const creds = findCredentials('ghcr.io', [config({ 'ghcr.io': { auth: b64('me:p:a:ss') } })]);
    expect(creds).toEqual([{ key: 'ghcr.io', username: 'me', password: 'p:a:ss' }]);
  });

  it('takes username/password when there is no auth', () => {
    const creds = findCredentials('ghcr.io', [config({ 'https://ghcr.io': { username: 'me', password: 'pw' } })]);
    expect(creds).toEqual([{ key: 'https://ghcr.io', username: 'me', password: 'pw' }]);
  });

  it('prefers auth over username/password, as docker does', () => {
    const creds = findCredentials('ghcr.io', [config({ 'ghcr.io': { auth: b64('a:b'), username: 'c', password: 'd' } })]);
    expect(creds).toEqual([{ key: 'ghcr.io', username: 'a', password: 'b' }]);
  });

  it('keeps identity and registry tokens', () => {
    const creds = findCredentials('myreg.azurecr.io', [
      config({ 'myreg.azurecr.io': { auth: b64('00000000-0000-0000-0000-000000000000:'), identitytoken: 'refresh' } }),
      config({ 'myreg.azurecr.io': { registrytoken: 'rt' } }),
    ]);
    expect(creds).toEqual([
      { key: 'myreg.azurecr.io', username: '00000000-0000-0000-0000-000000000000', password: '', identityToken: 'refresh' },
      { key: 'myreg.azurecr.io', registryToken: 'rt' },
    ]);
  });

  it('finds Docker Hub under its docker login key', () => {
    const creds = findCredentials('docker.io', [config({ 'https://index.docker.io/v1/': { auth: b64('hub:pw') }, 'ghcr.io': { auth: b64('gh:pw') } })]);
    expect(creds).toEqual([{ key: 'https://index.docker.io/v1/', username: 'hub', password: 'pw' }]);
  });

  it('reads the legacy .dockercfg map (no "auths")', () => {
    const creds = findCredentials('127.0.0.1:5000', [JSON.stringify({ 'http://127.0.0.1:5000': { auth: b64('old:style'), email: 'x@y' } })]);
    expect(creds).toEqual([{ key: 'http://127.0.0.1:5000', username: 'old', password: 'style' }]);
  });

  it('keeps the order of the configs, exact keys before globs, and drops duplicates', () => {
    const creds = findCredentials('r.example.com', [
      config({ '*.example.com': { auth: b64('glob:1') }, 'r.example.com': { auth: b64('exact:1') } }),
      config({ 'https://r.example.com': { auth: b64('exact:1') } }),
      config({ 'r.example.com': { auth: b64('second:2') } }),
    ]);
    expect(creds.map((c) => c.username)).toEqual(['exact', 'glob', 'second']);
  });

  it('skips what it cannot use', () => {
    const creds = findCredentials('ghcr.io', [
      'not json',
      '[]',
      'null',
      JSON.stringify({ auths: 'nope' }),
      config({ 'ghcr.io': { auth: b64('no-colon') } }),
      config({ 'ghcr.io': { email: 'only@mail' } }),
      config({ 'ghcr.io': null }),
      config({}, { credsStore: 'desktop', credHelpers: { 'ghcr.io': 'gh' } }),
      config({ 'ghcr.io': { auth: b64('good:one') } }),
    ]);
    expect(creds).toEqual([{ key: 'ghcr.io', username: 'good', password: 'one' }]);
  });

  it('gives nothing without configs', () => {
    expect(findCredentials('ghcr.io', undefined)).toEqual([]);
    expect(findCredentials('ghcr.io', [])).toEqual([]);
  });
});
