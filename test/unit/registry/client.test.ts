import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseChallenges, RegistryLookupError } from '../../../src/registry/client.js';
import { chooseManifest, verifyDigest, type Descriptor } from '../../../src/registry/image-user.js';
import { sha256 } from './fake-registry.js';

describe('parseChallenges', () => {
  it('reads Docker Hub’s Bearer challenge', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' },
      },
    ]);
  });

  it('reads Basic, unquoted values, spaces and escapes', () => {
    expect(parseChallenges('Basic realm="Registry \\"Realm\\""')).toEqual([{ scheme: 'basic', params: { realm: 'Registry "Realm"' } }]);
    expect(parseChallenges('bearer  realm = https://r/token , service=svc')).toEqual([{ scheme: 'bearer', params: { realm: 'https://r/token', service: 'svc' } }]);
    expect(parseChallenges('Basic')).toEqual([{ scheme: 'basic', params: {} }]);
  });

  it('splits several challenges (repeated headers are comma-joined)', () => {
    expect(parseChallenges('Bearer realm="https://a/token",service="a", Basic realm="b"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://a/token', service: 'a' } },
      { scheme: 'basic', params: { realm: 'b' } },
    ]);
  });

  it('survives junk', () => {
    expect(parseChallenges('')).toEqual([]);
    expect(parseChallenges('=x, ""').some((c) => c.scheme === 'bearer' || c.scheme === 'basic')).toBe(false);
    expect(parseChallenges('Bearer realm="unterminated')).toEqual([{ scheme: 'bearer', params: { realm: 'unterminated' } }]);
  });
});

describe('chooseManifest', () => {
  const d = (os: string, architecture: string, variant?: string): Descriptor => ({
    digest: `sha256:${os}-${architecture}-${variant ?? ''}`,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  });
  const index = [d('unknown', 'unknown'), d('windows', 'amd64'), d('linux', 'arm', 'v6'), d('linux', 'arm', 'v7'), d('linux', 'arm64', 'v8'), d('linux', 'amd64')];

  it.each([
    ['amd64', 'sha256:linux-amd64-'],
    ['arm64', 'sha256:linux-arm64-v8'],
    ['arm64/v8', 'sha256:linux-arm64-v8'],
    ['arm/v7', 'sha256:linux-arm-v7'],
    ['arm', 'sha256:linux-arm-v6'],
    ['arm/v5', 'sha256:linux-arm-v6'],
    ['s390x', 'sha256:linux-arm-v6'],
  ])('%s -> %s', (arch, digest) => {
    expect(chooseManifest(index, arch)?.digest).toBe(digest);
  });

  it('never picks a non-linux or digest-less entry', () => {
    expect(chooseManifest([d('windows', 'amd64'), d('unknown', 'unknown')], 'amd64')).toBeUndefined();
    expect(chooseManifest([{ platform: { os: 'linux', architecture: 'amd64' } }], 'amd64')).toBeUndefined();
    expect(chooseManifest([], 'amd64')).toBeUndefined();
  });
});

describe('verifyDigest', () => {
  const body = Buffer.from('{"config":{}}');
  it('accepts the right sha256 and sha512', () => {
    expect(() => verifyDigest(body, sha256(body), 'config')).not.toThrow();
    expect(() => verifyDigest(body, `sha512:${createHash('sha512').update(body).digest('hex')}`, 'config')).not.toThrow();
  });
  it('rejects a mismatch or an unknown algorithm', () => {
    expect(() => verifyDigest(Buffer.from('other'), sha256(body), 'config')).toThrow(RegistryLookupError);
    expect(() => verifyDigest(body, `md5:${'a'.repeat(32)}`, 'config')).toThrow(/unsupported/);
  });
});
