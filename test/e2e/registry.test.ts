import { describe, expect, it } from 'vitest';
import { fetchImageUser, type ImageUserInput } from '../../src/registry/image-user.js';
import { kubectl, REGISTRY } from './helpers.js';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** The manifest digest a tag points at, as the registry reports it. */
async function digestOf(tag: string): Promise<string> {
  const res = await fetch(`http://${REGISTRY}/v2/fixtures/app/manifests/${tag}`, { method: 'HEAD', headers: { Accept: ACCEPT } });
  const digest = res.headers.get('docker-content-digest');
  if (res.status !== 200 || !digest) throw new Error(`HEAD fixtures/app:${tag}: HTTP ${res.status}, digest ${digest}`);
  return digest;
}

async function lookup(input: Omit<ImageUserInput, 'log'>): Promise<{ user: Awaited<ReturnType<typeof fetchImageUser>>; logs: string[] }> {
  const logs: string[] = [];
  const user = await fetchImageUser({ ...input, log: (l) => logs.push(l) });
  return { user, logs };
}

describe('image User from the local cluster registry', () => {
  it.each([
    ['nonroot', { uid: 65532, gid: 65532 }],
    ['root', { uid: 0, gid: 0 }],
    ['uid1001', { uid: 1001, gid: 1001 }],
  ])('fixtures/app:%s by digest -> %j', async (tag, want) => {
    const digest = await digestOf(tag);
    const { user, logs } = await lookup({ imageID: `${REGISTRY}/fixtures/app@${digest}`, image: `${REGISTRY}/fixtures/app:${tag}` });
    expect(user, logs.join('\n')).toEqual(want);
    expect(logs).toHaveLength(1);
  });

  it("resolves a running pod's status imageID to 65532:65532", async () => {
    const imageID = await kubectl(['-n', 'demo', 'get', 'pods', '-l', 'app=app', '-o', 'jsonpath={.items[0].status.containerStatuses[0].imageID}']);
    const image = await kubectl(['-n', 'demo', 'get', 'pods', '-l', 'app=app', '-o', 'jsonpath={.items[0].spec.containers[0].image}']);
    expect(imageID).toMatch(/@sha256:[0-9a-f]{64}$/);
    const { user, logs } = await lookup({ imageID, image });
    expect(user, logs.join('\n')).toEqual({ uid: 65532, gid: 65532 });
  });

  it('reads a bare image ID (the config digest) through the spec image’s repository', async () => {
    const manifest = await (await fetch(`http://${REGISTRY}/v2/fixtures/app/manifests/nonroot`, { headers: { Accept: ACCEPT } })).json();
    const configDigest = (manifest as { config: { digest: string } }).config.digest;
    const { user, logs } = await lookup({ imageID: configDigest, image: `${REGISTRY}/fixtures/app:nonroot` });
    expect(user, logs.join('\n')).toEqual({ uid: 65532, gid: 65532 });
  });

  it('gives undefined, with the reason, for a digest the registry does not have', async () => {
    const { user, logs } = await lookup({ imageID: `${REGISTRY}/fixtures/app@sha256:${'0'.repeat(64)}`, image: '' });
    expect(user).toBeUndefined();
    expect(logs).toEqual([expect.stringMatching(/has no manifest sha256:000000000000 in fixtures\/app/)]);
  });
});
