import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appImage, createPod, deletePod, ensureNamespace, ephemeralNames, getPod, kubectl, plugin, uniq } from './helpers.js';

// Pod Security levels, RBAC and dry runs: what the cluster allows decides what
// the plugin may do, and nothing the user did not ask for is changed.
const pods = {
  restricted: uniq('a-restricted'),
  baseline: uniq('a-baseline'),
  baselineRoot: uniq('a-baseline-root'),
  privileged: uniq('a-privileged'),
  rbac: uniq('a-rbac'),
  dry: uniq('a-dry'),
};

beforeAll(async () => {
  await Promise.all([
    createPod({ namespace: 'psa-restricted', name: pods.restricted }),
    createPod({ namespace: 'psa-baseline', name: pods.baseline }),
    createPod({ namespace: 'psa-baseline', name: pods.baselineRoot, image: appImage('root') }),
    createPod({ namespace: 'psa-privileged', name: pods.privileged }),
    createPod({ namespace: 'demo', name: pods.rbac }),
    createPod({ namespace: 'demo', name: pods.dry }),
  ]);
});
afterAll(async () => {
  await Promise.all([
    deletePod('psa-restricted', pods.restricted),
    deletePod('psa-baseline', pods.baseline),
    deletePod('psa-baseline', pods.baselineRoot),
    deletePod('psa-privileged', pods.privileged),
    deletePod('demo', pods.rbac),
    deletePod('demo', pods.dry),
  ]);
});

describe('Pod Security', () => {
  it.each([
    ['psa-restricted', () => pods.restricted],
    ['psa-baseline', () => pods.baseline],
    ['psa-privileged', () => pods.privileged],
  ])('%s: works with no flags', async (ns, pod) => {
    const r = await plugin(['-n', ns, pod(), '--', 'cat', 'etc/app-secret']);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('secret of the nonroot fixture\n');
  });

  it('psa-baseline: a root target gets a root debugger with default capabilities, admitted by baseline', async () => {
    const r = await plugin(['-n', 'psa-baseline', pods.baselineRoot, '--', 'cat', 'etc/app-secret']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('secret of the root fixture\n');
  });

  it('psa-baseline: --profile general (SYS_PTRACE) is refused before any change, saying why, exit 71', async () => {
    const before = await ephemeralNames('psa-baseline', pods.baseline);
    const r = await plugin(['-n', 'psa-baseline', pods.baseline, '--profile', 'general', '--new', '--', 'true']);
    expect(r.code).toBe(71);
    // The namespace's level is readable here, so the plugin refuses before the API server has to.
    expect(r.stderr).toMatch(/(^|\n)error: the namespace enforces Pod Security "baseline", which forbids the SYS_PTRACE capability of --profile general; drop --profile general, or ask an admin to debug from a namespace with "privileged"\n$/);
    expect(await ephemeralNames('psa-baseline', pods.baseline)).toEqual(before);
  });
});

describe('RBAC', () => {
  it('viewer: a clear error naming the missing permission, exit 70, nothing changed', async () => {
    const before = await getPod('demo', pods.rbac);
    const r = await plugin(['--context', 'viewer', '-n', 'demo', pods.rbac, '--', 'true']);
    expect(r.code).toBe(70);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([
      'error: not allowed to debug pods in namespace "demo" (RBAC: missing "patch pods/ephemeralcontainers" and "create pods/exec" (or at least "create pods/attach")); ask your cluster admin (see the README\'s RBAC section)',
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const after = await getPod('demo', pods.rbac);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('debugger context: exactly the documented rights are enough', async () => {
    const r = await plugin(['--context', 'debugger', '-n', 'demo', pods.rbac, '--', 'sh', '-c', 'cat etc/app-variant; exit 3']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('nonroot\n');
  });

  it('attacher context (attach but no exec): still gets a session, exit code from the container', async () => {
    const r = await plugin(['--context', 'attacher', '-n', 'demo', pods.rbac, '--', 'sh', '-c', 'cat etc/app-variant; exit 5']);
    expect(r.stderr).toContain('attaching to the debugger instead');
    expect(r.stdout).toBe('nonroot\n');
    expect(r.code).toBe(5);
  });
});

describe('--dry-run', () => {
  it('client: prints the container as YAML and changes nothing', async () => {
    const before = await getPod('demo', pods.dry);
    const r = await plugin(['-n', 'demo', pods.dry, '--dry-run', '-o', 'yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^name: distroless-debug-[bcdfghjklmnpqrstvwxz2456789]{8}\nimage: docker.io\/library\/busybox:1.37.0\n/);
    expect(r.stdout).toContain('targetContainerName: app');
    expect(r.stdout).toContain('runAsUser: 65532');
    expect((await getPod('demo', pods.dry)).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('server: the API server validates the patch, prints the pod as stored, and changes nothing', async () => {
    const before = await getPod('demo', pods.dry);
    const r = await plugin(['-n', 'demo', pods.dry, '--dry-run=server', '-o', 'json']);
    expect(r.code).toBe(0);
    const pod = JSON.parse(r.stdout) as { kind: string; spec: { ephemeralContainers: Array<{ name: string }> } };
    expect(pod.kind).toBe('Pod');
    expect(pod.spec.ephemeralContainers.map((c) => c.name)).toEqual([expect.stringMatching(/^distroless-debug-/)]);
    expect((await getPod('demo', pods.dry)).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });
});

describe('Pod Security and an earlier debugger', () => {
  const ns = uniq('e2e-psa-flip');
  const pod = 'flip';
  beforeAll(async () => {
    await ensureNamespace(ns, { 'pod-security.kubernetes.io/enforce': 'privileged' });
    await createPod({ namespace: ns, name: pod });
  });
  afterAll(() => kubectl(['delete', 'namespace', ns, '--wait=false']));

  it('says when an earlier non-compliant debugger is what blocks the patch', async () => {
    const first = await plugin(['-n', ns, pod, '--profile', 'general', '--', 'true']);
    expect(first.code).toBe(0);
    const [earlier] = await ephemeralNames(ns, pod);
    await kubectl(['label', 'namespace', ns, '--overwrite', 'pod-security.kubernetes.io/enforce=baseline']);
    const before = await ephemeralNames(ns, pod);
    const r = await plugin(['-n', ns, pod, '--new', '--', 'true']);
    expect(r.code).toBe(71);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([
      expect.stringMatching(
        new RegExp(`^error: Pod Security rejected the debugger: .*SYS_PTRACE.* It names ${earlier}, already in this pod: Pod Security re-checks the whole pod on every patch, so it will keep refusing; debug a fresh pod instead \\(e\\.g\\. restart the workload\\)\\.$`),
      ),
    ]);
    expect(await ephemeralNames(ns, pod)).toEqual(before);
  });
});
