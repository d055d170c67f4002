import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appImage, createPod, deletePod, ephemeralNames, kubectl, plugin, uniq } from './helpers.js';

// Each failure: one line saying what happened and what to do, a distinct exit
// code, no stack trace.
const ns = 'demo';
const pods = { pull: uniq('e-pull'), crash: uniq('e-crash') };

beforeAll(async () => {
  await Promise.all([
    createPod({ namespace: ns, name: pods.pull }),
    createPod({ namespace: ns, name: pods.crash, image: appImage('crash'), ready: false }),
    kubectl(['-n', ns, 'create', 'deployment', 'e-empty', `--image=${appImage('nonroot')}`, '--replicas=0']).catch(() => ''),
  ]);
});
afterAll(async () => {
  await Promise.all([deletePod(ns, pods.pull), deletePod(ns, pods.crash), kubectl(['-n', ns, 'delete', 'deployment', 'e-empty', '--ignore-not-found'])]);
});

function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('error:'));
}

describe('errors', () => {
  it('a missing image: a clear pull error well within the timeout, exit 72', async () => {
    const t0 = Date.now();
    const r = await plugin(['-n', ns, pods.pull, '--image', '127.0.0.1:5000/no/such-image:1', '--timeout', '60s', '--', 'true']);
    expect(r.code).toBe(72);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(/^error: cannot pull the debug image 127\.0\.0\.1:5000\/no\/such-image:1: (ErrImagePull|ImagePullBackOff): .*not found.*; check --image or set DISTROLESS_DEBUG_IMAGE to a reachable BusyBox$/),
    ]);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    [['no-such-pod'], 66, 'error: pod "no-such-pod" not found in namespace "demo"; check the name, or -n/--namespace'],
    [['-n', 'no-such-ns', 'x'], 66, 'error: namespace "no-such-ns" not found; check -n/--namespace or your context\'s namespace'],
    [['--context', 'nope', 'x'], 65, 'error: context "nope" not found in kubeconfig; available: admin, debugger, viewer, attacher'],
    [['deploy/e-empty'], 67, 'error: deploy/e-empty has no pods; scale it up or name a pod directly'],
    [['deploy/nope'], 66, 'error: deployment "nope" not found in namespace "demo"; check the name, or -n/--namespace'],
    [['x', '--profile', 'root'], 64, 'error: --profile must be one of auto, restricted, baseline, general; got "root"'],
    [['x', '--uid', 'nonroot'], 64, 'error: --uid must be a numeric ID such as 65532, got "nonroot"'],
    [['x', '--bogus'], 64, 'error: Unknown argument: --bogus; see --help'],
  ])('%j exits %i with one line', async (args, code, line) => {
    const r = await plugin(['-n', ns, ...args]);
    expect(errorLines(r.stderr)).toEqual([line]);
    expect(r.code).toBe(code);
  });

  it('a crashed target: refused before anything is added, exit 68', async () => {
    // The crash fixture exits 2 s after start and the kubelet restarts it after a back-off
    // (10 s, then 20 s, ...): wait until it is down after its second restart, so the next
    // start is 20 s or more away and cannot land in the middle of this run (a CI run met a
    // restart right after a shorter wait: a debugger was added, and 68 came from its exit).
    for (let i = 0; i < 120; i++) {
      const s = await kubectl(['-n', ns, 'get', 'pod', pods.crash, '-o', 'jsonpath={.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].state}']);
      const restarts = Number(s.split(' ')[0]);
      if (!s.includes('running') && restarts >= 2) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const r = await plugin(['-n', ns, pods.crash, '--', 'true']);
    expect(r.code).toBe(68);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^error: (container app in pod ${pods.crash} is not running \\((CrashLoopBackOff|terminated \\(Error\\))\\); a debugger can only join a running container: debug a copy of the pod with --copy-to NAME|pod ${pods.crash} is (Failed|Pending|Succeeded), not Running; wait for it to start or pick a running pod)$`)),
    ]);
    expect(await ephemeralNames(ns, pods.crash)).toEqual([]);
  });

  it('-v shows the API calls and timings, with credentials redacted', async () => {
    const r = await plugin(['-n', ns, pods.pull, '-v', '--', 'true']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[debug\] GET \/api\/v1\/namespaces\/demo\/pods\/e-pull-\w+ -> 200 \(\d+ ms\)/);
    expect(r.stderr).toMatch(/\[timing\] pod get \d+ ms/);
    // The process' own start-up (runtime and code loading) is its first timing.
    expect(r.stderr).toMatch(/\[timing\] start-up \d+ ms/);
    expect(r.stderr).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY|Bearer [A-Za-z0-9]/);
  });
});
