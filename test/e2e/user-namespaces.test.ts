import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, ephemeralNames, kubectl, KUBERNETES, plugin, STATE, uniq } from './helpers.js';

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
// Opt-in (DD_TEST_USERNS=1) until it has passed once on this kind of machine:
// the cause of the old failure is fixed and proven with runc alone, but no
// hostUsers: false pod has run through the kubelet here yet (docs/cluster.md).
const here = KUBERNETES === undefined && existsSync(runState) && process.env.DD_TEST_USERNS === '1';

beforeAll(async () => {
  if (!here) return;
  await createPod({ namespace: ns, name: pod, node: '', spec: { hostUsers: false } });
}, 300_000);
afterAll(async () => {
  if (here) await deletePod(ns, pod);
});

describe.runIf(here)('a pod with hostUsers: false (default node)', () => {
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
