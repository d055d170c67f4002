import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appImage, createPod, deletePod, ephemeralNames, kubectl, kubectlJSON, KUBECONFIG, PLUGIN, plugin, run, KUBECTL, uniq } from './helpers.js';

// Crash-looping targets: why they are not running, then --copy-to NAME [--rm]
// on the :crash fixture (it listens for 2 s, then exits 1), through the real
// executable on fresh pods.

const ns = 'demo';
const crash = uniq('crash');
const owner = uniq('crash-owner');
const copies: string[] = [];

interface PodJSON {
  metadata: { labels?: Record<string, string>; ownerReferences?: unknown[]; annotations?: Record<string, string> };
  spec: {
    serviceAccountName?: string;
    nodeSelector?: Record<string, string>;
    restartPolicy?: string;
    initContainers?: Array<{ name: string }>;
    containers: Array<{ name: string; image: string; command?: string[]; env?: Array<{ name: string; value?: string }>; livenessProbe?: unknown }>;
  };
  status: { containerStatuses?: Array<{ name: string; restartCount: number; state: Record<string, unknown> }> };
}

async function exists(name: string, namespace = ns): Promise<boolean> {
  const r = await run(KUBECTL, ['--context', 'admin', '-n', namespace, 'get', 'pod', name, '--ignore-not-found', '-o', 'name']);
  return r.stdout.trim() !== '';
}

/** Waits until the crash fixture has crashed at least once and is not running. */
async function crashed(name: string, namespace = ns): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const p = await kubectlJSON<PodJSON>(['-n', namespace, 'get', 'pod', name]);
    const s = p.status.containerStatuses?.[0];
    if (s && s.restartCount >= 1 && !s.state['running']) return;
    if (Date.now() > deadline) throw new Error(`${name} did not crash: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  // An owner for the pod, so that the copy can be seen to drop ownerReferences.
  await kubectl(['-n', ns, 'create', 'configmap', owner]);
  const uid = (await kubectlJSON<{ metadata: { uid: string } }>(['-n', ns, 'get', 'configmap', owner])).metadata.uid;
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: crash,
        namespace: ns,
        labels: { app: crash, 'pod-template-hash': 'abc' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner, uid }],
      },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'app', image: appImage('crash'), env: [{ name: 'APP_MODE', value: 'debug-me' }], livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5 } }],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
      },
    }),
  );
  await crashed(crash);
});

afterAll(async () => {
  await deletePod(ns, crash);
  for (const c of copies) await deletePod(ns, c);
  await kubectl(['-n', ns, 'delete', 'configmap', owner, '--ignore-not-found']);
});

describe('a target that is not running', () => {
  it('says why (last exit, exit code, time, previous log) and offers --copy-to; nothing is added', async () => {
    const r = await plugin(['-n', ns, crash, '--', 'true']);
    expect(r.code).toBe(68);
    expect(r.stderr).toMatch(/distroless-debug: container app last exited: Error, exit code 1, at \d{4}-\d\d-\d\dT[\d:]+Z \(restarted \d+ times?\)\n/);
    expect(r.stderr).toMatch(/distroless-debug: last lines of its (previous )?log:\n(distroless-debug: {3}\| .*\n)*distroless-debug: {3}\| .*crash fixture: exiting with code 1\n/);
    expect(r.stderr).toMatch(/error: container app in pod \S+ is not running \((CrashLoopBackOff|terminated \(Error\))\); a debugger can only join a running container: debug a copy of the pod with --copy-to NAME\n$/);
    expect(await ephemeralNames(ns, crash)).toEqual([]);
  });
});

describe('--copy-to', () => {
  it('--rm: the copy runs as the app, in /, with $APP_COMMAND; its files read as its own user; the copy is gone after', async () => {
    const copy = uniq('crash-copy');
    copies.push(copy);
    const r = await plugin(['-n', ns, crash, '--copy-to', copy, '--rm', '--', 'sh', '-c', 'id -u; id -g; pwd; echo "cmd=$APP_COMMAND mode=$APP_MODE"; cat /etc/app-secret; ls -l /etc/app-secret']);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual(['65532', '65532', '/', 'cmd=/app mode=debug-me', 'secret of the crash fixture']);
    expect(lines[5]).toMatch(/^-rw------- +1 nonroot +nonroot /);
    expect(r.stderr).toContain("distroless-debug: the app's command (in $APP_COMMAND): /app\n");
    expect(r.stderr).toMatch(/last lines of its (previous )?log:/);
    expect(r.stderr).toContain(`distroless-debug: deleted pod/${copy}\n`);
    expect(await exists(copy)).toBe(false);
    // The original is untouched.
    expect(await ephemeralNames(ns, crash)).toEqual([]);
  });

  it('without --rm the copy stays, adopted by nothing, and the plugin says how to delete it', async () => {
    const copy = uniq('crash-copy');
    copies.push(copy);
    const r = await plugin(['-n', ns, crash, '--copy-to', copy, '--', 'true']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`distroless-debug: pod/${copy} stays; delete it with: kubectl delete pod ${copy} -n ${ns}\n`);
    const p = await kubectlJSON<PodJSON>(['-n', ns, 'get', 'pod', copy]);
    const o = await kubectlJSON<PodJSON>(['-n', ns, 'get', 'pod', crash]);
    expect(p.metadata.labels).toEqual({ 'distroless-debug/copy-of': crash });
    expect(p.metadata.ownerReferences).toBeUndefined();
    expect(o.metadata.ownerReferences).toHaveLength(1);
    expect(p.spec.serviceAccountName).toBe(o.spec.serviceAccountName);
    expect(p.spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(p.spec.restartPolicy).toBe('Never');
    const app = p.spec.containers.find((c) => c.name === 'app')!;
    expect(app.image).toBe(appImage('crash'));
    expect(app.env).toEqual([{ name: 'APP_MODE', value: 'debug-me' }]);
    expect(app.command?.[0]).toBe('/.distroless-debug/bin/busybox');
    expect(app.livenessProbe).toBeUndefined();
    // A second session in the same copy is refused as a name clash, not a second copy.
    const again = await plugin(['-q', '-n', ns, crash, '--copy-to', copy, '--', 'true']);
    expect(again.code).toBe(64);
    expect(again.stderr).toBe(`error: pod ${copy} already exists in namespace "${ns}"; pick another --copy-to name, or delete it: kubectl delete pod ${copy} -n ${ns}\n`);
    await deletePod(ns, copy);
  });

  it('is admitted in a psa-restricted namespace where the original was', async () => {
    const name = uniq('crash-psa');
    const copy = `${name}-copy`;
    await createPod({
      namespace: 'psa-restricted',
      name,
      image: appImage('crash'),
      ready: false,
    });
    try {
      await crashed(name, 'psa-restricted');
      const r = await plugin(['-n', 'psa-restricted', name, '--copy-to', copy, '--rm', '-q', '--', 'sh', '-c', 'id -u; cat /etc/app-secret']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('65532\nsecret of the crash fixture\n');
      expect(await exists(copy, 'psa-restricted')).toBe(false);
    } finally {
      await deletePod('psa-restricted', name);
      await deletePod('psa-restricted', copy);
    }
  });

  it('SIGTERM during the session still deletes the copy (--rm)', async () => {
    const copy = uniq('crash-copy');
    copies.push(copy);
    const child = spawn(PLUGIN, ['-n', ns, crash, '--copy-to', copy, '--rm', '--', 'sleep', '300'], { env: { ...process.env, KUBECONFIG }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const deadline = Date.now() + 90_000;
    while (!/running in pod\//.test(stderr)) {
      if (Date.now() > deadline) throw new Error(`no session: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await exists(copy)).toBe(true);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(143);
    expect(await exists(copy)).toBe(false);
  });

  it('Ctrl-C in a terminal (tmux) while the copy starts deletes it (--rm)', async () => {
    const copy = uniq('crash-copy');
    copies.push(copy);
    const session = uniq('dd-copy');
    const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
    const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', session);
    tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', `env KUBECONFIG=${KUBECONFIG} ${PLUGIN} -n ${ns} ${crash} --copy-to ${copy} --rm; echo "EXITED rc=$?"; sleep 600`);
    try {
      // As soon as the copy exists, press Ctrl-C (it is still starting, or the shell has just opened).
      const deadline = Date.now() + 90_000;
      while (!(await exists(copy))) {
        if (Date.now() > deadline) throw new Error(`no copy: ${screen()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      tmux('send-keys', '-t', session, 'C-c');
      // In the shell, Ctrl-C goes to the remote shell: leave it then.
      await new Promise((r) => setTimeout(r, 1500));
      if (!/EXITED/.test(screen())) tmux('send-keys', '-t', session, 'exit', 'Enter');
      const end = Date.now() + 30_000;
      while (!/EXITED rc=\d+/.test(screen())) {
        if (Date.now() > end) throw new Error(`did not exit: ${screen()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(screen()).toMatch(/EXITED rc=(130|0)/);
      expect(await exists(copy)).toBe(false);
    } finally {
      tmux('kill-session', '-t', session);
    }
  });
});
