import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, ephemeralNames, KUBE_MINOR, kubectl, plugin, STATE, uniq } from './helpers.js';

// A pod with hostUsers: false runs in its own user namespace: its root is a
// mapped, unprivileged host UID. It failed to start on this machine until
// containerd's state moved out of /root (docs/cluster.md, "User namespaces").
// The debugger joins the pod's user namespace too, so the identity rules of
// the kernel (docs/design.md) hold inside it unchanged.
const ns = 'demo';
const pod = uniq('userns');

// On the default node: containerd 2.x (1.7 on the second node does not
// support user namespaces; the kubelet refuses such pods there). Its state
// must be under /run, which holds for a containerd started by this checkout's
// scripts/cluster; one started before keeps /root/... until down and up.
const runState = `/run/distroless-debug/${STATE.split('/').pop()}/containerd/io.containerd.runtime.v2.task`;
// UserNamespacesSupport is alpha (off by default) up to 1.29, beta off in
// 1.30-1.32, beta on from 1.33 and GA in 1.36: a cluster of a version before
// 1.33 cannot run the pod without a feature gate its users would not have set.
// This skip is listed per configuration in test/skip-allowlist.txt ([v1.29]).
const here = KUBE_MINOR === undefined || KUBE_MINOR >= 33;

beforeAll(async () => {
  if (!here) return;
  // Not a skip: a containerd with its state under /root fails every such pod
  // (docs/cluster.md "User namespaces"); say so instead of a pod that never starts.
  if (!existsSync(runState)) {
    throw new Error(`${runState} does not exist: this cluster's containerd keeps its task state under /root, where a user namespace's root cannot reach its rootfs; restart it with scripts/cluster down && scripts/cluster up (docs/cluster.md "User namespaces")`);
  }
  await createPod({ namespace: ns, name: pod, node: '', spec: { hostUsers: false } });
}, 300_000);
afterAll(async () => {
  if (here) await deletePod(ns, pod);
});

describe.runIf(here)('a pod with hostUsers: false (not on the containerd 1.7 node)', () => {
  it('runs in its own user namespace', async () => {
    const hostUsers = await kubectl(['-n', ns, 'get', 'pod', pod, '-o', 'jsonpath={.spec.hostUsers} {.status.phase}']);
    expect(hostUsers).toBe('false Running');
  });

  it("is debugged as usual: the app's files, as the image's user, one debugger", async () => {
    const r = await plugin(['-n', ns, pod, '--', 'sh', '-c', 'id -u; cat /proc/1/root/etc/app-secret; cat /proc/self/uid_map']);
    expect(r.code, r.stderr).toBe(0);
    const [uid, secret, map] = r.stdout.split('\n');
    expect(uid).toBe('65532');
    expect(secret).toBe('secret of the nonroot fixture');
    // Inside a user namespace, UID 0 maps to a host UID other than 0.
    const [inside, outside] = (map ?? '').trim().split(/\s+/).map(Number);
    expect(inside).toBe(0);
    expect(outside).toBeGreaterThan(0);
    expect(await ephemeralNames(ns, pod)).toHaveLength(1);
  });
});
