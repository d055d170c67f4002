import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchImageUser, type ImageUserInput } from '../../../src/registry/image-user.js';
import { basic, dockerConfig, FakeRegistry, sha256, type FakeRegistryOptions } from './fake-registry.js';

const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function registry(opts: FakeRegistryOptions = {}): Promise<FakeRegistry> {
  const r = await new FakeRegistry(opts).start();
  running.push(r);
  return r;
}

/** fetchImageUser with its log lines collected. */
async function lookup(input: Partial<ImageUserInput> & { imageID: string }): Promise<{ user: Awaited<ReturnType<typeof fetchImageUser>>; logs: string[] }> {
  const logs: string[] = [];
  const user = await fetchImageUser({ image: '', ...input, log: (l) => logs.push(l) });
  return { user, logs };
}

const nonroot = { architecture: 'amd64', os: 'linux', config: { User: '65532:65532', Entrypoint: ['/app'] }, rootfs: { type: 'layers', diff_ids: [] } };

describe('fetchImageUser against a local registry', () => {
  it('reads manifest -> config over plain http (loopback fallback), one log line', async () => {
    const r = await registry();
    const { manifest } = r.addImage(nonroot);
    const { user, logs } = await lookup({ imageID: `${r.host}/fixtures/app@${manifest}` });
    expect(user).toEqual({ uid: 65532, gid: 65532 });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain('65532:65532');
    expect(r.requests.map((q) => q.path)).toEqual([`/v2/fixtures/app/manifests/${manifest}`, `/v2/fixtures/app/blobs/${sha256(JSON.stringify(nonroot))}`]);
  });

  it('works with Docker schema 2 manifests and docker-pullable:// image IDs', async () => {
    const r = await registry();
    const { manifest } = r.addImage(nonroot, { manifestType: 'application/vnd.docker.distribution.manifest.v2+json' });
    const { user } = await lookup({ imageID: `docker-pullable://${r.host}/fixtures/app@${manifest}` });
    expect(user).toEqual({ uid: 65532, gid: 65532 });
  });

  it.each([
    ['', { uid: 0, gid: 0 }],
    [undefined, { uid: 0, gid: 0 }],
    ['0', { uid: 0, gid: 0 }],
    ['0:0', { uid: 0, gid: 0 }],
    ['1001', { uid: 1001, gid: undefined }],
    ['1001:1001', { uid: 1001, gid: 1001 }],
    ['65532:nonroot', { uid: 65532, gid: undefined }],
    ['nonroot', undefined],
    ['nonroot:nonroot', undefined],
  ])('User %j -> %j', async (User, want) => {
    const r = await registry();
    const { manifest } = r.addImage({ ...nonroot, config: User === undefined ? { Entrypoint: ['/app'] } : { User } });
    const { user, logs } = await lookup({ imageID: `${r.host}/app@${manifest}` });
    expect(user).toEqual(want);
    expect(logs).toHaveLength(1);
    if (want === undefined) expect(logs[0]).toMatch(/is a name, not a number/);
  });

  it('treats a config without "config" as root', async () => {
    const r = await registry();
    const { manifest } = r.addImage({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
    expect((await lookup({ imageID: `${r.host}/app@${manifest}` })).user).toEqual({ uid: 0, gid: 0 });
  });

  it('chooses linux/<arch> from an index (OCI and Docker list), else the first linux entry', async () => {
    const r = await registry();
    const amd = r.addImage({ ...nonroot, config: { User: '1:1' } }).manifest;
    const arm = r.addImage({ ...nonroot, architecture: 'arm64', config: { User: '2:2' } }).manifest;
    const v7 = r.addImage({ ...nonroot, architecture: 'arm', config: { User: '3:3' } }).manifest;
    const win = r.addImage({ ...nonroot, os: 'windows', config: { User: '4:4' } }).manifest;
    const entries = [
      { digest: win, os: 'windows', architecture: 'amd64' },
      { digest: arm, os: 'linux', architecture: 'arm64', variant: 'v8' },
      { digest: amd, os: 'linux', architecture: 'amd64' },
      { digest: v7, os: 'linux', architecture: 'arm', variant: 'v7' },
    ];
    const oci = r.addIndex(entries);
    const list = r.addIndex(entries, 'application/vnd.docker.distribution.manifest.list.v2+json');
    for (const index of [oci, list]) {
      const id = `${r.host}/multi@${index}`;
      expect((await lookup({ imageID: id })).user).toEqual({ uid: 1, gid: 1 });
      expect((await lookup({ imageID: id, arch: 'arm64' })).user).toEqual({ uid: 2, gid: 2 });
      expect((await lookup({ imageID: id, arch: 'arm/v7' })).user).toEqual({ uid: 3, gid: 3 });
      expect((await lookup({ imageID: id, arch: 'riscv64' })).user).toEqual({ uid: 2, gid: 2 });
    }
    const windowsOnly = r.addIndex([{ digest: win, os: 'windows', architecture: 'amd64' }]);
    const { user, logs } = await lookup({ imageID: `${r.host}/multi@${windowsOnly}` });
    expect(user).toBeUndefined();
    expect(logs[0]).toMatch(/no linux image/);
  });

  it('takes a bare image ID as the config digest of the spec image’s repository', async () => {
    const r = await registry();
    const { config } = r.addImage(nonroot);
    const { user, logs } = await lookup({ imageID: config, image: `${r.host}/fixtures/app:nonroot` });
    expect(user).toEqual({ uid: 65532, gid: 65532 });
    expect(logs[0]).toContain(`image ID ${config}`);
    expect(r.requests.map((q) => q.path)).toEqual([`/v2/fixtures/app/blobs/${config}`]);
  });

  it('takes a bare image ID that is a manifest digest too', async () => {
    const r = await registry();
    const { manifest } = r.addImage(nonroot);
    r.blobs.set(manifest, r.manifests.get(manifest)!.body);
    expect((await lookup({ imageID: manifest, image: `${r.host}/fixtures/app:nonroot` })).user).toEqual({ uid: 65532, gid: 65532 });
    r.blobs.delete(manifest);
    expect((await lookup({ imageID: manifest, image: `${r.host}/fixtures/app:nonroot` })).user).toEqual({ uid: 65532, gid: 65532 });
  });

  it('uses a digest in the spec image when there is no imageID yet', async () => {
    const r = await registry();
    const { manifest } = r.addImage(nonroot);
    expect((await lookup({ imageID: '', image: `${r.host}/fixtures/app@${manifest}` })).user).toEqual({ uid: 65532, gid: 65532 });
    const noDigest = await lookup({ imageID: '', image: `${r.host}/fixtures/app:nonroot` });
    expect(noDigest.user).toBeUndefined();
    expect(noDigest.logs).toEqual([expect.stringMatching(/no imageID yet and image ".*" has no digest/)]);
    expect(r.requests.filter((q) => q.path.includes('/manifests/nonroot'))).toEqual([]);
  });

  it.each([
    ['garbage!', ''],
    ['sha256:1234', 'nginx:1.27'],
    [`sha256:${'a'.repeat(64)}`, 'NOT A REF'],
    ['busybox:latest', ''],
  ])('never throws on unusable input (%j, %j)', async (imageID, image) => {
    const { user, logs } = await lookup({ imageID, image });
    expect(user).toBeUndefined();
    expect(logs).toHaveLength(1);
  });

  it('says so when the manifest is missing', async () => {
    const r = await registry();
    const { user, logs } = await lookup({ imageID: `${r.host}/app@sha256:${'0'.repeat(64)}` });
    expect(user).toBeUndefined();
    expect(logs[0]).toMatch(/has no manifest sha256:000000000000 in app/);
  });

  it('refuses Docker schema 1 manifests', async () => {
    const r = await registry();
    const digest = r.addManifest({ schemaVersion: 1, name: 'app', tag: 'v1', history: [] }, 'application/vnd.docker.distribution.manifest.v1+prettyjws');
    const { user, logs } = await lookup({ imageID: `${r.host}/app@${digest}` });
    expect(user).toBeUndefined();
    expect(logs[0]).toMatch(/schema 1/);
  });
});

describe('digests are verified', () => {
  it('rejects a config blob that does not match its digest', async () => {
    const r = await registry();
    const tampered = Buffer.from(JSON.stringify({ ...nonroot, config: { User: '0:0' } }));
    const { manifest } = r.addImage(nonroot, { configOverride: tampered });
    const { user, logs } = await lookup({ imageID: `${r.host}/app@${manifest}` });
    expect(user).toBeUndefined();
    expect(logs).toEqual([expect.stringMatching(/image config does not match its digest/)]);
  });

  it('rejects a manifest that does not match its digest', async () => {
    const r = await registry();
    const { manifest } = r.addImage(nonroot);
    const other = r.addImage({ ...nonroot, config: { User: '0' } }).manifest;
    r.manifests.set(manifest, r.manifests.get(other)!);
    const { user, logs } = await lookup({ imageID: `${r.host}/app@${manifest}` });
    expect(user).toBeUndefined();
    expect(logs).toEqual([expect.stringMatching(/manifest does not match its digest/)]);
  });
});

describe('authentication', () => {
  it('does the anonymous Bearer token flow', async () => {
    const r = await registry({ auth: { kind: 'bearer' } });
    const { manifest, config } = r.addImage(nonroot);
    expect((await lookup({ imageID: `${r.host}/fixtures/app@${manifest}` })).user).toEqual({ uid: 65532, gid: 65532 });
    expect(r.requests.map((q) => [q.path, q.authorization])).toEqual([
      [`/v2/fixtures/app/manifests/${manifest}`, undefined],
      ['/token?service=fake-registry&scope=repository%3Afixtures%2Fapp%3Apull', undefined],
      [`/v2/fixtures/app/manifests/${manifest}`, 'Bearer tok-1'],
      [`/v2/fixtures/app/blobs/${config}`, 'Bearer tok-1'],
    ]);
  });

  it('sends docker config credentials to the token realm', async () => {
    const r = await registry({ auth: { kind: 'bearer', user: 'me', pass: 's3cret' } });
    const { manifest } = r.addImage(nonroot);
    const imageID = `${r.host}/fixtures/app@${manifest}`;

    const without = await lookup({ imageID });
    expect(without.user).toBeUndefined();
    expect(without.logs).toEqual([expect.stringMatching(/no anonymous token was given \(HTTP 401\) for 127\.0\.0\.1:\d+\/fixtures\/app .*, and no docker config has credentials for 127\.0\.0\.1:\d+$/)]);

    r.requests.length = 0;
    const withCreds = await lookup({ imageID, dockerConfigs: [dockerConfig(`https://${r.host}`, 'me', 's3cret')] });
    expect(withCreds.user).toEqual({ uid: 65532, gid: 65532 });
    expect(r.requests.find((q) => q.path.startsWith('/token'))?.authorization).toBe(basic('me', 's3cret'));
  });

  it('tries every matching credential, then says which were refused', async () => {
    const r = await registry({ auth: { kind: 'bearer', user: 'me', pass: 'right' } });
    const { manifest } = r.addImage(nonroot);
    const imageID = `${r.host}/fixtures/app@${manifest}`;
    const wrong = dockerConfig(r.host, 'me', 'stale');
    expect((await lookup({ imageID, dockerConfigs: [wrong, dockerConfig(r.host, 'me', 'right')] })).user).toEqual({ uid: 65532, gid: 65532 });
    const refused = await lookup({ imageID, dockerConfigs: [wrong] });
    expect(refused.user).toBeUndefined();
    expect(refused.logs).toEqual([expect.stringMatching(/docker config credentials "127\.0\.0\.1:\d+" \(HTTP 401\) were refused and no anonymous token was given \(HTTP 401\)/)]);
  });

  it('exchanges an identitytoken (OAuth2 refresh token) at the realm', async () => {
    const r = await registry({ auth: { kind: 'bearer', user: 'nobody', pass: 'x', refreshToken: 'refresh-me' } });
    const { manifest } = r.addImage(nonroot);
    const cfg = JSON.stringify({ auths: { [r.host]: { auth: Buffer.from('00000000-0000-0000-0000-000000000000:').toString('base64'), identitytoken: 'refresh-me' } } });
    expect((await lookup({ imageID: `${r.host}/fixtures/app@${manifest}`, dockerConfigs: [cfg] })).user).toEqual({ uid: 65532, gid: 65532 });
    expect(r.requests.find((q) => q.path === '/token')?.method).toBe('POST');
  });

  it('answers a Basic challenge with docker config credentials', async () => {
    const r = await registry({ auth: { kind: 'basic', user: 'u', pass: 'p' } });
    const { manifest, config } = r.addImage(nonroot);
    const imageID = `${r.host}/fixtures/app@${manifest}`;

    const without = await lookup({ imageID });
    expect(without.user).toBeUndefined();
    expect(without.logs).toEqual([expect.stringMatching(/needs credentials and no docker config has any for 127\.0\.0\.1:\d+/)]);

    r.requests.length = 0;
    const ok = await lookup({ imageID, dockerConfigs: ['{}', dockerConfig(`http://${r.host}/v2/`, 'u', 'p')] });
    expect(ok.user).toEqual({ uid: 65532, gid: 65532 });
    expect(r.requests.map((q) => [q.path, q.authorization])).toEqual([
      [`/v2/fixtures/app/manifests/${manifest}`, undefined],
      [`/v2/fixtures/app/manifests/${manifest}`, basic('u', 'p')],
      [`/v2/fixtures/app/blobs/${config}`, basic('u', 'p')],
    ]);

    const wrong = await lookup({ imageID, dockerConfigs: [dockerConfig(r.host, 'u', 'nope')] });
    expect(wrong.user).toBeUndefined();
    expect(wrong.logs[0]).toMatch(/127\.0\.0\.1:\d+ rejected docker config credentials "127\.0\.0\.1:\d+"$/);
  });

  it('follows a blob redirect to another port without sending Authorization there', async () => {
    const r = await registry({ auth: { kind: 'bearer' }, redirectBlobs: true });
    const { manifest, config } = r.addImage(nonroot);
    expect((await lookup({ imageID: `${r.host}/fixtures/app@${manifest}` })).user).toEqual({ uid: 65532, gid: 65532 });
    const blobOnRegistry = r.requests.find((q) => q.server === 'registry' && q.path.includes('/blobs/'));
    const blobOnCdn = r.requests.find((q) => q.server === 'cdn');
    expect(blobOnRegistry?.authorization).toBe('Bearer tok-1');
    expect(blobOnCdn).toEqual({ server: 'cdn', method: 'GET', path: `/cdn/${config}?sig=abc`, authorization: undefined });
  });
});

describe("the spec image's repository, when imageID names another registry", () => {
  // containerd keeps one record per image: pulled from two registries, its
  // imageID may name the one the pod's credentials are not for.
  it('reads the same digest from the spec image repository after the imageID registry refuses', async () => {
    const other = await registry({ auth: { kind: 'basic', user: 'a', pass: 'a' } });
    const mine = await registry({ auth: { kind: 'bearer', user: 'me', pass: 's3cret' } });
    const { manifest } = other.addImage(nonroot);
    mine.addImage(nonroot);
    const { user, logs } = await lookup({
      imageID: `${other.host}/mirror/app@${manifest}`,
      image: `${mine.host}/private/app:nonroot`,
      dockerConfigs: [dockerConfig(mine.host, 'me', 's3cret')],
    });
    expect(user).toEqual({ uid: 65532, gid: 65532 });
    expect(logs).toEqual([
      expect.stringMatching(new RegExp(`^image user of ${other.host}/mirror/app@sha256:[0-9a-f]{64}: unknown, .*needs credentials.*; trying the pod's image repository ${mine.host}/private/app$`)),
      expect.stringMatching(new RegExp(`^image user of ${mine.host}/private/app@${manifest}: "65532:65532" -> uid 65532 gid 65532$`)),
    ]);
  });

  it('does not ask a second time when both name the same repository', async () => {
    const r = await registry({ auth: { kind: 'basic', user: 'u', pass: 'p' } });
    const { manifest } = r.addImage(nonroot);
    const { user, logs } = await lookup({ imageID: `${r.host}/fixtures/app@${manifest}`, image: `${r.host}/fixtures/app:nonroot` });
    expect(user).toBeUndefined();
    expect(logs).toHaveLength(1);
  });

  it('says why both failed', async () => {
    const a = await registry({ auth: { kind: 'basic', user: 'u', pass: 'p' } });
    const b = await registry({ auth: { kind: 'basic', user: 'u', pass: 'p' } });
    const { manifest } = a.addImage(nonroot);
    const { user, logs } = await lookup({ imageID: `${a.host}/fixtures/app@${manifest}`, image: `${b.host}/private/app:nonroot` });
    expect(user).toBeUndefined();
    expect(logs).toHaveLength(2);
    expect(logs[1]).toMatch(new RegExp(`^image user of ${b.host}/private/app@sha256:[0-9a-f]{64}: unknown, ${b.host} needs credentials`));
  });
});

describe('failures are bounded', () => {
  it('gives up after the time budget', async () => {
    const r = await registry({ hang: true });
    const started = Date.now();
    const { user, logs } = await lookup({ imageID: `${r.host}/app@sha256:${'1'.repeat(64)}`, timeoutMs: 300 });
    expect(user).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(logs).toEqual([expect.stringMatching(/no answer within 300 ms/)]);
  });

  it('reports an unreachable registry', async () => {
    const r = await registry();
    const port = r.port;
    await r.stop();
    const { user, logs } = await lookup({ imageID: `127.0.0.1:${port}/app@sha256:${'1'.repeat(64)}` });
    expect(user).toBeUndefined();
    expect(logs).toEqual([expect.stringMatching(/cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/)]);
  });

  it('does not follow more than three redirects', async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.writeHead(302, { Location: `/again/${hits}` }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    running.push({ stop: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    const { port } = server.address() as AddressInfo;
    const { user, logs } = await lookup({ imageID: `127.0.0.1:${port}/app@sha256:${'1'.repeat(64)}` });
    expect(user).toBeUndefined();
    expect(hits).toBe(4);
    expect(logs).toEqual([expect.stringMatching(/more than 3 redirects/)]);
  });
});

const haveOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!haveOpenssl)('https', () => {
  it('uses https first (unverified on loopback, as containerd does) and stays on it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'registry-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], {
        stdio: 'ignore',
      });
      const tls = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
      const r = await registry({ tls, auth: { kind: 'basic', user: 'u', pass: 'p' } });
      const { manifest } = r.addImage(nonroot);
      const { user } = await lookup({ imageID: `${r.host}/fixtures/app@${manifest}`, dockerConfigs: [dockerConfig(r.host, 'u', 'p')] });
      expect(user).toEqual({ uid: 65532, gid: 65532 });
      expect(r.requests).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
