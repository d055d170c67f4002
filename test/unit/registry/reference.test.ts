import { describe, expect, it } from 'vitest';
import {
  apiHostFor,
  formatReference,
  isDockerHub,
  isLoopbackHost,
  isRegistryHost,
  parseDigest,
  parseImageID,
  parseImageReference,
} from '../../../src/registry/reference.js';

const D = `sha256:${'a'.repeat(64)}`;
const D512 = `sha512:${'b'.repeat(128)}`;

describe('parseImageReference', () => {
  it.each([
    ['busybox', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/busybox' }],
    ['busybox:1.36', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/busybox', tag: '1.36' }],
    [`busybox@${D}`, { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/busybox', digest: D }],
    [`busybox:1.36@${D}`, { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/busybox', tag: '1.36', digest: D }],
    ['nginx:1.27', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/nginx', tag: '1.27' }],
    ['bitnami/nginx', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'bitnami/nginx' }],
    ['docker.io/busybox', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/busybox' }],
    ['docker.io/library/busybox', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/busybox' }],
    ['index.docker.io/busybox:latest', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/busybox', tag: 'latest' }],
    ['index.docker.io/bitnami/nginx', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'bitnami/nginx' }],
    ['registry-1.docker.io/busybox', { registry: 'registry-1.docker.io', apiHost: 'registry-1.docker.io', repository: 'library/busybox' }],
    [`docker.io/library/busybox@${D}`, { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/busybox', digest: D }],
    [`127.0.0.1:5000/fixtures/app@${D}`, { registry: '127.0.0.1:5000', apiHost: '127.0.0.1:5000', repository: 'fixtures/app', digest: D }],
    ['127.0.0.1:5000/fixtures/app:nonroot', { registry: '127.0.0.1:5000', apiHost: '127.0.0.1:5000', repository: 'fixtures/app', tag: 'nonroot' }],
    ['localhost/app', { registry: 'localhost', apiHost: 'localhost', repository: 'app' }],
    ['localhost:5000/app:v1', { registry: 'localhost:5000', apiHost: 'localhost:5000', repository: 'app', tag: 'v1' }],
    ['[::1]:5000/app', { registry: '[::1]:5000', apiHost: '[::1]:5000', repository: 'app' }],
    ['gcr.io/distroless/static:nonroot', { registry: 'gcr.io', apiHost: 'gcr.io', repository: 'distroless/static', tag: 'nonroot' }],
    ['ghcr.io/org/team/app', { registry: 'ghcr.io', apiHost: 'ghcr.io', repository: 'org/team/app' }],
    ['registry.k8s.io/pause:3.10.1', { registry: 'registry.k8s.io', apiHost: 'registry.k8s.io', repository: 'pause', tag: '3.10.1' }],
    ['Quay.IO/org/app', { registry: 'quay.io', apiHost: 'quay.io', repository: 'org/app' }],
    ['MyHost/app', { registry: 'myhost', apiHost: 'myhost', repository: 'app' }],
    ['myhost/app', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'myhost/app' }],
    ['a.b-c.example.com:443/x_y/z__w/v-1', { registry: 'a.b-c.example.com:443', apiHost: 'a.b-c.example.com:443', repository: 'x_y/z__w/v-1' }],
    ['localhost:5000', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/localhost', tag: '5000' }],
    [`app@${D512}`, { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/app', digest: D512 }],
    ['  busybox  ', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/busybox' }],
  ])('%s', (input, expected) => {
    expect(parseImageReference(input)).toEqual(expected);
  });

  it.each([
    '',
    'Busybox',
    'busybox:',
    'busybox@',
    'busybox@sha256',
    ':tag',
    'bad image',
    'UPPER.io/Repo',
    'host:port/app',
    'host:99999/app',
    'registry.example.com/',
    'registry.example.com//app',
    'app/-x',
    'app:-tag',
    `app:${'t'.repeat(129)}`,
    '[::1/app',
    'example.com:5000:1/app',
  ])('rejects %j', (input) => {
    expect(parseImageReference(input)).toBeUndefined();
  });

  it('formats back', () => {
    expect(formatReference(parseImageReference(`busybox:1@${D}`)!)).toBe(`docker.io/library/busybox@${D}`);
    expect(formatReference(parseImageReference('127.0.0.1:5000/fixtures/app:nonroot')!)).toBe('127.0.0.1:5000/fixtures/app:nonroot');
    expect(formatReference(parseImageReference('busybox')!)).toBe('docker.io/library/busybox');
  });
});

describe('registry hosts', () => {
  it.each([
    ['127.0.0.1:5000', true],
    ['gcr.io', true],
    ['localhost', true],
    ['host:5000', true],
    ['MyHost', true],
    ['[::1]', true],
    ['library', false],
    ['bitnami', false],
    ['localhost2', false],
  ])('isRegistryHost(%s) = %s', (host, want) => {
    expect(isRegistryHost(host)).toBe(want);
  });

  it.each([
    ['docker.io', 'registry-1.docker.io'],
    ['index.docker.io', 'registry-1.docker.io'],
    ['Docker.IO', 'registry-1.docker.io'],
    ['registry-1.docker.io', 'registry-1.docker.io'],
    ['ghcr.io', 'ghcr.io'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
  ])('apiHostFor(%s) = %s', (registry, want) => {
    expect(apiHostFor(registry)).toBe(want);
  });

  it('knows Docker Hub aliases', () => {
    expect(['docker.io', 'index.docker.io', 'registry-1.docker.io'].every(isDockerHub)).toBe(true);
    expect(isDockerHub('ghcr.io')).toBe(false);
    expect(isDockerHub('docker.io.evil.com')).toBe(false);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.0.0.1:5000', true],
    ['127.255.3.4:80', true],
    ['localhost', true],
    ['LOCALHOST:5000', true],
    ['[::1]', true],
    ['[::1]:5000', true],
    ['::1', true],
    ['[0:0:0:0:0:0:0:1]:5000', true],
    ['128.0.0.1', false],
    ['127.0.0.256', false],
    ['127.0.0.1.nip.io', false],
    ['localhost.example.com', false],
    ['10.0.0.1:5000', false],
    ['[::2]:5000', false],
    ['gcr.io', false],
  ])('isLoopbackHost(%s) = %s', (host, want) => {
    expect(isLoopbackHost(host)).toBe(want);
  });
});

describe('digests and image IDs', () => {
  it.each([
    [D, { algorithm: 'sha256', hex: 'a'.repeat(64) }],
    [D512, { algorithm: 'sha512', hex: 'b'.repeat(128) }],
    [`sha256:${'a'.repeat(63)}`, undefined],
    [`sha256:${'A'.repeat(64)}`, undefined],
    [`md5:${'a'.repeat(32)}`, undefined],
    [`sha512:${'b'.repeat(64)}`, undefined],
    ['', undefined],
  ])('parseDigest(%s)', (input, want) => {
    expect(parseDigest(input)).toEqual(want);
  });

  it('reads repository digests as the kubelet reports them', () => {
    expect(parseImageID(`127.0.0.1:5000/fixtures/app@${D}`)).toEqual({
      reference: { registry: '127.0.0.1:5000', apiHost: '127.0.0.1:5000', repository: 'fixtures/app', digest: D },
    });
    expect(parseImageID(`docker.io/library/busybox@${D}`)).toEqual({
      reference: { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/busybox', digest: D },
    });
    expect(parseImageID(`docker-pullable://busybox@${D}`)).toEqual({
      reference: { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/busybox', digest: D },
    });
  });

  it('reads a bare image ID as a digest without repository', () => {
    expect(parseImageID(D)).toEqual({ bareDigest: D });
    expect(parseImageID(`docker://${D}`)).toEqual({ bareDigest: D });
  });

  it.each(['', 'busybox:latest', 'busybox', `busybox@sha256:${'a'.repeat(10)}`, 'sha256:xyz', 'not a ref'])('gives nothing usable for %j', (id) => {
    expect(parseImageID(id)).toBeUndefined();
  });
});
