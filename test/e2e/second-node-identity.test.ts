import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, ensureNamespace, ephemeralNames, KUBECONFIG, kubectl, kubectlJSON, KUBERNETES, PLUGIN, plugin, run, STATE, uniq, type Result } from './helpers.js';

// The second node (scripts/cluster.d/node2.sh) runs containerd 1.7, which
// reports no status.containerStatuses[].user: with no securityContext in the
// pod, the plugin must learn the target's identity from the image config in
// the private registry (scripts/cluster.d/private-registry.sh), with the pod's
// pull secret or ~/.docker/config.json; without the registry, from its 65532
// guess and the keeper's correction. Every pod here has no securityContext.

const NODE = 'containerd17';
interface PrivateRegistry {
  username: string;
  password: string;
  basic: string;
  token: string;
  realm: string;
  repository: string;
}
// A version cluster (DD_KUBERNETES) is single-node, without the private registry.
const SECOND_NODE = KUBERNETES === undefined && existsSync(`${STATE}/private-registry/registry.json`);
const reg = (SECOND_NODE ? JSON.parse(readFileSync(`${STATE}/private-registry/registry.json`, 'utf8')) : {}) as PrivateRegistry;
const realmHost = SECOND_NODE ? new URL(reg.realm).host : '';
const ns = 'dd-c17';
const dir = mkdtempSync(join(tmpdir(), 'dd-c17-'));
const auth = Buffer.from(`${reg.username}:${reg.password}`).toString('base64');
const dockerConfig = (hosts: string[]) => JSON.stringify({ auths: Object.fromEntries(hosts.map((h) => [h, { auth }])) });
/** A DOCKER_CONFIG with credentials for both private registries, and one with none. */
const withCreds = join(dir, 'with');
const noCreds = join(dir, 'none');
/** The plugin inside the second node's network namespace: the API server is reachable there, the registries are not. */
const netnsKubeconfig = join(dir, 'kubeconfig');

type Tag = 'nonroot' | 'uid1001' | 'root';
const IDENTITY: Record<Tag, { uid: number; gid: number }> = { nonroot: { uid: 65532, gid: 65532 }, uid1001: { uid: 1001, gid: 1001 }, root: { uid: 0, gid: 0 } };
const TAGS: Tag[] = ['nonroot', 'uid1001', 'root'];

interface PodSnapshot {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown> & { nodeName?: string; ephemeralContainers?: unknown[] };
  status: { containerStatuses?: Array<{ user?: unknown; imageID?: string }> };
}
const snapshot = (name: string) => kubectlJSON<PodSnapshot>(['-n', ns, 'get', 'pod', name]);
/** Everything the plugin must not change: the pod minus its ephemeral containers. */
function unchangedPart(p: PodSnapshot): unknown {
  const { ephemeralContainers: _ignored, ...spec } = p.spec;
  return { labels: p.metadata.labels ?? {}, annotations: p.metadata.annotations ?? {}, spec };
}

const pods = new Map<string, string>();
async function privatePod(key: string, image: string, secret: string | undefined): Promise<string> {
  const name = uniq(`c17-${key}`);
  pods.set(key, name);
  await createPod({ namespace: ns, name, image, node: NODE, spec: secret ? { imagePullSecrets: [{ name: secret }] } : {} });
  return name;
}

beforeAll(async () => {
  if (!SECOND_NODE) return;
  writeFileSync(netnsKubeconfig, readFileSync(KUBECONFIG, 'utf8').replaceAll('https://127.0.0.1:6443', 'https://10.213.213.1:6443'), { mode: 0o600 });
  for (const [d, hosts] of [[withCreds, [reg.basic, reg.token]], [noCreds, []]] as const) {
    rmSync(d, { recursive: true, force: true });
    await run('mkdir', ['-p', d]);
    writeFileSync(join(d, 'config.json'), dockerConfig([...hosts]), { mode: 0o600 });
  }
  await ensureNamespace(ns);
  for (const [secret, host] of [['basic-cred', reg.basic], ['token-cred', reg.token]] as const) {
    await kubectl(['-n', ns, 'delete', 'secret', secret, '--ignore-not-found']);
    await kubectl(['-n', ns, 'create', 'secret', 'docker-registry', secret, `--docker-server=${host}`, `--docker-username=${reg.username}`, `--docker-password=${reg.password}`]);
  }
  // Every pod pulls from the private registry with its pull secret.
  await Promise.all(
    TAGS.flatMap((tag) => [
      privatePod(`basic-${tag}`, `${reg.basic}/${reg.repository}:${tag}`, 'basic-cred'),
      privatePod(`token-${tag}`, `${reg.token}/${reg.repository}:${tag}`, 'token-cred'),
      privatePod(`config-${tag}`, `${reg.token}/${reg.repository}:${tag}`, 'token-cred'),
      privatePod(`unreach-${tag}`, `${reg.basic}/${reg.repository}:${tag}`, 'basic-cred'),
      privatePod(`nocred-${tag}`, `${reg.token}/${reg.repository}:${tag}`, 'token-cred'),
    ]).concat([privatePod('setuid', `${reg.basic}/${reg.repository}:setuid`, 'basic-cred')]),
  );
}, 300_000);

afterAll(async () => {
  await Promise.all([...pods.values()].map((p) => deletePod(ns, p)));
  rmSync(dir, { recursive: true, force: true });
});

/** `id` and the app's 0600 secret, owned by the image's user: readable only as the right identity. */
const PROBE = ['--', 'sh', '-c', 'id -u; id -g; cat /proc/1/root/etc/app-secret'];

function expectIdentity(r: Result, tag: Tag): void {
  const { uid, gid } = IDENTITY[tag];
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.split('\n').slice(0, 3)).toEqual([String(uid), String(gid), `secret of the ${tag} fixture`]);
}

describe.runIf(SECOND_NODE)('the second node (containerd 1.7)', () => {
  it('runs the pod there and reports no status.containerStatuses[].user', async () => {
    const p = await snapshot(pods.get('basic-nonroot')!);
    expect(p.spec.nodeName).toBe('dd-node2');
    expect(p.status.containerStatuses?.[0]?.user).toBeUndefined();
    // One of the image's repository digests: the same content pulled from both
    // private registries is one containerd record with both names.
    expect(p.status.containerStatuses?.[0]?.imageID).toMatch(/^127\.0\.0\.1:500[13]\/private\/app@sha256:/);
    const runtime = await kubectl(['get', 'node', 'dd-node2', '-o', 'jsonpath={.status.nodeInfo.containerRuntimeVersion}']);
    expect(runtime).toMatch(/^containerd:\/\/1\.7\./);
  });
});

describe.runIf(SECOND_NODE)('identity from the image config in the private registry', () => {
  it.each(TAGS)('Basic auth, the pod\'s pull secret: :%s', async (tag) => {
    const name = pods.get(`basic-${tag}`)!;
    const before = await snapshot(name);
    const r = await plugin(['-n', ns, name, '-v', ...PROBE], { env: { DOCKER_CONFIG: noCreds } });
    expectIdentity(r, tag);
    const { uid, gid } = IDENTITY[tag];
    expect(r.stderr).toContain(`debugger runs as uid ${uid} gid ${gid} (the image's User)`);
    expect(r.stderr).toContain(`sending the pod's pull secret "basic-cred" to ${reg.basic} to read the image's user`);
    expect(await ephemeralNames(ns, name)).toHaveLength(1);
    expect(unchangedPart(await snapshot(name))).toEqual(unchangedPart(before));
  });

  it.each(TAGS)('Bearer token flow, the pod\'s pull secret: :%s', async (tag) => {
    const name = pods.get(`token-${tag}`)!;
    const before = await snapshot(name);
    const r = await plugin(['-n', ns, name, '-v', ...PROBE], { env: { DOCKER_CONFIG: noCreds } });
    expectIdentity(r, tag);
    const { uid, gid } = IDENTITY[tag];
    expect(r.stderr).toContain(`debugger runs as uid ${uid} gid ${gid} (the image's User)`);
    // The credential goes to the token service (the realm), not to the registry.
    expect(r.stderr).toContain(`sending the pod's pull secret "token-cred" to ${realmHost} to read the image's user`);
    expect(await ephemeralNames(ns, name)).toHaveLength(1);
    expect(unchangedPart(await snapshot(name))).toEqual(unchangedPart(before));
  });

  it.each(TAGS)('Bearer token flow, ~/.docker/config.json (pull secrets not read): :%s', async (tag) => {
    const name = pods.get(`config-${tag}`)!;
    const before = await snapshot(name);
    const r = await plugin(['-n', ns, name, '--no-pull-secrets', '-v', ...PROBE], { env: { DOCKER_CONFIG: withCreds } });
    expectIdentity(r, tag);
    const { uid, gid } = IDENTITY[tag];
    expect(r.stderr).toContain(`debugger runs as uid ${uid} gid ${gid} (the image's User)`);
    expect(r.stderr).toContain('not reading the pod\'s pull secrets (token-cred): --no-pull-secrets');
    expect(r.stderr).not.toContain('sending the pod');
    expect(await ephemeralNames(ns, name)).toHaveLength(1);
    expect(unchangedPart(await snapshot(name))).toEqual(unchangedPart(before));
  });
});

/** What the fallback must show: the guess, then (unless it was right) the correction, and at most two debuggers. */
async function expectGuessAndCorrection(name: string, tag: Tag, r: Result, before: PodSnapshot): Promise<void> {
  expectIdentity(r, tag);
  expect(r.stderr).toContain('debugger runs as uid 65532 gid 65532 (a guess (distroless nonroot); corrected automatically if wrong)');
  const { uid, gid } = IDENTITY[tag];
  const debuggers = await ephemeralNames(ns, name);
  if (tag === 'nonroot') {
    expect(r.stderr).not.toContain('starting a corrected debugger');
    expect(debuggers).toHaveLength(1);
  } else {
    expect(r.stderr).toContain(`the target runs as uid ${uid} gid ${gid}, not 65532:65532; starting a corrected debugger`);
    expect(debuggers).toHaveLength(2);
  }
  expect(unchangedPart(await snapshot(name))).toEqual(unchangedPart(before));
}

describe.runIf(SECOND_NODE)('without the image config: the 65532 guess and the keeper\'s correction', () => {
  it.each(TAGS)('registry unreachable from where the plugin runs: :%s', async (tag) => {
    const name = pods.get(`unreach-${tag}`)!;
    const before = await snapshot(name);
    // In the second node's network namespace the API server answers on the
    // veth and nothing listens on 127.0.0.1:5001: the registry is out of reach
    // for the plugin while the node pulled from it.
    const r = await run('nsenter', ['--net=/run/netns/dd-node2', PLUGIN, '--kubeconfig', netnsKubeconfig, '-n', ns, name, '-v', ...PROBE], { env: { DOCKER_CONFIG: withCreds } });
    expect(r.stderr).toMatch(/image user of 127\.0\.0\.1:500[13]\/private\/app@sha256:[0-9a-f]{64}: unknown, cannot reach http:\/\/127\.0\.0\.1:500[13] \(ECONNREFUSED\)/);
    expect(r.stderr).not.toContain('sending the pod');
    await expectGuessAndCorrection(name, tag, r, before);
  });

  it.each(TAGS)('credentials missing (no docker config, pull secrets not read): :%s', async (tag) => {
    const name = pods.get(`nocred-${tag}`)!;
    const before = await snapshot(name);
    const r = await plugin(['-n', ns, name, '--no-pull-secrets', '-v', ...PROBE], { env: { DOCKER_CONFIG: noCreds } });
    expect(r.stderr).toMatch(/image user of 127\.0\.0\.1:5003\/private\/app@sha256:[0-9a-f]{64}: unknown, .*no docker config has credentials for 127\.0\.0\.1:5003/);
    await expectGuessAndCorrection(name, tag, r, before);
  });
});

describe.runIf(SECOND_NODE)('a target that drops root after start, on the containerd 1.7 node', () => {
  // The image says root; the keeper finds 1001 and exits at once. containerd
  // 1.7 reports that short run, so the session's exec meets a stopped
  // container ("container not found"): the plugin must still read the
  // keeper's report and start the corrected debugger (it exited 74 before).
  it('the image config says root, the keeper corrects to 1001:1001, two debuggers', async () => {
    const name = pods.get('setuid')!;
    const before = await snapshot(name);
    const r = await plugin(['-n', ns, name, ...PROBE], { env: { DOCKER_CONFIG: noCreds } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').slice(0, 3)).toEqual(['1001', '1001', 'secret of the setuid fixture']);
    expect(r.stderr).toContain("debugger runs as uid 0 gid 0 (the image's User)");
    expect(r.stderr).toContain('the target runs as uid 1001 gid 1001, not 0:0; starting a corrected debugger');
    expect(await ephemeralNames(ns, name)).toHaveLength(2);
    expect(unchangedPart(await snapshot(name))).toEqual(unchangedPart(before));
  });
});
