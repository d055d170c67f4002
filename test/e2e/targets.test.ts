import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appImage, createPod, deletePod, ephemeralNames, getPod, IMAGE_IDENTITY_SOURCE, kubectl, plugin, uniq } from './helpers.js';

// The target shapes users meet, each through the real executable.
const ns = 'demo';
const pods = {
  nonroot: uniq('t-nonroot'),
  uid1001: uniq('t-uid1001'),
  root: uniq('t-root'),
  shared: uniq('t-sharedpid'),
  multi: uniq('t-multi'),
  setuid: uniq('t-setuid'),
};

beforeAll(async () => {
  await Promise.all([
    createPod({ namespace: ns, name: pods.nonroot }),
    createPod({ namespace: ns, name: pods.uid1001, image: appImage('uid1001') }),
    createPod({ namespace: ns, name: pods.root, image: appImage('root') }),
    createPod({
      namespace: ns,
      name: pods.shared,
      spec: { shareProcessNamespace: true },
      containers: [
        { name: 'sidecar', image: appImage('root'), env: [{ name: 'APP_ADDR', value: ':8081' }] },
        { name: 'app', image: appImage('uid1001') },
      ],
    }),
    createPod({
      namespace: ns,
      name: pods.setuid,
      containers: [{ name: 'app', image: appImage('setuid'), imagePullPolicy: 'Always' }],
    }),
    createPod({
      namespace: ns,
      name: pods.multi,
      annotations: { 'kubectl.kubernetes.io/default-container': 'app' },
      containers: [
        { name: 'sidecar', image: appImage('root'), env: [{ name: 'APP_ADDR', value: ':8081' }] },
        { name: 'app', image: appImage('nonroot') },
      ],
    }),
  ]);
});
afterAll(async () => {
  await Promise.all(Object.values(pods).map((p) => deletePod(ns, p)));
});

const probe = `echo "id=$(id -u):$(id -g) pwd=$PWD root=$TARGET_ROOT pid=$TARGET_PID"; cat etc/app-variant etc/app-secret`;

describe('targets', () => {
  it('nonroot image, no securityContext: runs as 65532 from the runtime, lands in the app root, reads the 0600 secret', async () => {
    const r = await plugin(['-n', ns, pods.nonroot, '--', 'sh', '-c', probe]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('id=65532:65532 pwd=/proc/1/root root=/proc/1/root pid=1\nnonroot\nsecret of the nonroot fixture\n');
    expect(r.stderr).toContain(`uid 65532 gid 65532 (${IMAGE_IDENTITY_SOURCE}), profile restricted`);
    const pod = await getPod(ns, pods.nonroot);
    expect(pod.spec.ephemeralContainers?.[0]?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      runAsGroup: 65532,
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it('uid1001 image: the debugger follows the real identity', async () => {
    const r = await plugin(['-n', ns, pods.uid1001, '--', 'sh', '-c', probe]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('id=1001:1001 pwd=/proc/1/root root=/proc/1/root pid=1\nuid1001\nsecret of the uid1001 fixture\n');
  });

  it('root image: a root debugger keeps the default capabilities and opens the root target', async () => {
    const r = await plugin(['-n', ns, pods.root, '--', 'sh', '-c', probe]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('id=0:0 pwd=/proc/1/root root=/proc/1/root pid=1\nroot\nsecret of the root fixture\n');
    expect(r.stderr).toContain('profile baseline');
  });

  it('shareProcessNamespace: finds the target by its cgroup, not PID 1 (the pause process)', async () => {
    const r = await plugin(['-n', ns, pods.shared, '-c', 'app', '--', 'sh', '-c', probe]);
    expect(r.code).toBe(0);
    const m = r.stdout.match(/^id=1001:1001 pwd=\/proc\/(\d+)\/root root=\/proc\/(\d+)\/root pid=(\d+)\nuid1001\nsecret of the uid1001 fixture\n$/);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    expect(m?.[3]).not.toBe('1');
  });

  it('a target that drops root after start: the keeper reports the real identity and one corrected debugger follows', async () => {
    const r = await plugin(['-n', ns, pods.setuid, '--', 'sh', '-c', probe]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('id=1001:1001 pwd=/proc/1/root root=/proc/1/root pid=1\nsetuid\nsecret of the setuid fixture\n');
    expect(r.stderr).toContain(`debugger runs as uid 0 gid 0 (${IMAGE_IDENTITY_SOURCE})`);
    expect(r.stderr).toContain('warning: the target runs as uid 1001 gid 1001, not 0:0; starting a corrected debugger');
    const names = (await ephemeralNames(ns, pods.setuid)).filter((n) => n.startsWith('distroless-debug-'));
    expect(names).toHaveLength(2);
    // The corrected debugger is the one later sessions reuse.
    const again = await plugin(['-n', ns, pods.setuid, '--', 'cat', 'etc/app-secret']);
    expect(again.stdout).toBe('secret of the setuid fixture\n');
    expect(again.stderr).toContain('uid 1001 gid 1001');
    expect(again.stderr).toContain('reusing debugger');
  });

  it('multi-container pod: the default-container annotation picks the target, and says so', async () => {
    const r = await plugin(['-n', ns, pods.multi, '--', 'cat', 'etc/app-variant']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('nonroot\n');
    expect(r.stderr).toContain('container app (from the kubectl.kubernetes.io/default-container annotation)');
  });

  it('deploy/NAME picks a running, ready pod of the deployment', async () => {
    const r = await plugin(['-n', 'demo', 'deploy/app', '--', 'cat', 'etc/app-variant']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('nonroot\n');
    const podName = (await kubectl(['-n', 'demo', 'get', 'pods', '-l', 'app=app', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    expect(r.stderr).toContain(`pod/${podName}: container app`);
  });

  it('returns the remote exit code, and streams stdout and stderr apart', async () => {
    const r = await plugin(['-n', ns, pods.nonroot, '-q', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(r).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
  });

  it('passes piped stdin to the command', async () => {
    const r = await plugin(['-n', ns, pods.nonroot, '-q', '--', 'sh', '-c', 'wc -c; cat > /dev/null'], { input: 'hello world\n' });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('12');
  });

  it('ten commands in a row leave one debugger container', async () => {
    const before = await ephemeralNames(ns, pods.nonroot);
    for (let i = 0; i < 10; i++) {
      const r = await plugin(['-n', ns, pods.nonroot, '-q', '--', 'cat', 'etc/app-variant']);
      expect(r.code).toBe(0);
    }
    const after = await ephemeralNames(ns, pods.nonroot);
    expect(after).toEqual(before);
    expect(after.filter((n) => n.startsWith('distroless-debug-'))).toHaveLength(1);
  });

  it('--new adds another debugger and says which was done', async () => {
    const before = await ephemeralNames(ns, pods.nonroot);
    const r = await plugin(['-n', ns, pods.nonroot, '--new', '--', 'true']);
    expect(r.code).toBe(0);
    const after = await ephemeralNames(ns, pods.nonroot);
    const added = after.filter((n) => !before.includes(n));
    expect(added).toHaveLength(1);
    expect(r.stderr).toContain(`added debugger ${added[0]}`);
    const again = await plugin(['-n', ns, pods.nonroot, '--', 'true']);
    expect(again.stderr).toMatch(/reusing debugger distroless-debug-\w+, already running/);
  });
});
