import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, ensureNamespace, ephemeralNames, KUBE_MINOR, KUBECTL, kubectl, plugin, run, uniq } from './helpers.js';

// API server warnings, side by side with kubectl: a namespace whose Pod
// Security level is only `warn: baseline` admits a root debugger with
// SYS_PTRACE (--profile general) but warns about it. kubectl prints the
// warning and, with --warnings-as-errors, fails after the command; so do we.
const ns = uniq('dd-warn');
const pods = [uniq('warn-a'), uniq('warn-b'), uniq('warn-k'), uniq('warn-c')];

beforeAll(async () => {
  await ensureNamespace(ns, { 'pod-security.kubernetes.io/warn': 'baseline' });
  await Promise.all(pods.map((name) => createPod({ namespace: ns, name })));
}, 180_000);
afterAll(async () => {
  await kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
});

const WARNING = /would violate PodSecurity "baseline:latest"/;
// kubectl debug's profile that breaks baseline: sysadmin (privileged) from kubectl 1.30; a
// version cluster's older kubectl has netadmin (NET_ADMIN, NET_RAW), which breaks it too.
const KUBECTL_PROFILE = KUBE_MINOR === undefined || KUBE_MINOR >= 30 ? '--profile=sysadmin' : '--profile=netadmin';

describe('API server warnings', () => {
  it('are shown once, as kubectl shows them, and the session runs', async () => {
    const [pod] = pods as [string];
    const r = await plugin(['-n', ns, pod, '--profile', 'general', '--', 'id', '-u']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('0\n');
    const lines = r.stderr.split('\n').filter((l) => WARNING.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^distroless-debug: warning: the API server warns: would violate PodSecurity/);
    // kubectl debug with the same kind of container gets the same warning from the same server.
    const k = await run(KUBECTL, ['-n', ns, 'debug', pods[2] as string, '--image=docker.io/library/busybox:1.37.0', KUBECTL_PROFILE, '--attach=false', '--', 'true']);
    expect(k.stderr).toMatch(/^Warning: would violate PodSecurity "baseline:latest"/m);
  });

  it('--warnings-as-errors: the command runs, then the run fails with 78 and says why (kubectl: exit 1)', async () => {
    const pod = pods[1] as string;
    const r = await plugin(['-n', ns, pod, '--profile', 'general', '--warnings-as-errors', '-q', '--', 'echo', 'ran']);
    expect(r.code).toBe(78);
    expect(r.stdout).toBe('ran\n');
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: 1 warning received \(--warnings-as-errors\), the first: would violate PodSecurity "baseline:latest"/)]);
    expect(await ephemeralNames(ns, pod)).toHaveLength(1);
    const k = await run(KUBECTL, ['-n', ns, '--warnings-as-errors', 'debug', pods[2] as string, '--image=docker.io/library/busybox:1.37.0', KUBECTL_PROFILE, '--attach=false', '--', 'true']);
    expect(k.code).toBe(1);
    expect(k.stderr).toMatch(/^error: 1 warning received$/m);
  });

  it('a run without warnings is not failed by --warnings-as-errors', async () => {
    // A pod of its own: once a pod holds a container that breaks the level, every later change to it warns.
    const r = await plugin(['-n', ns, pods[3] as string, '--warnings-as-errors', '-q', '--', 'true']);
    expect(r.code, r.stderr).toBe(0);
  });
});
