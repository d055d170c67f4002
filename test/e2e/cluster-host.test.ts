import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KUBECONFIG, KUBERNETES, REPO } from './helpers.js';

// scripts/cluster shares the machine with whatever else runs on it: it must
// act only on what it started. These run its own shell functions against the
// running cluster, each with a throw-away state directory, so nothing of the
// shared cluster is started, stopped or removed.

const LIVE_RUN = `${dirname(KUBECONFIG)}/run`;
const temps: string[] = [];
const children: ChildProcess[] = [];
const servers: Server[] = [];

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const s of servers) s.close();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** Runs bash with the cluster's functions loaded and DD_CLUSTER_STATE set to `state`. */
function cluster(state: string, script: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    'bash',
    ['-c', `set -euo pipefail; source scripts/cluster.d/lib.sh; source scripts/cluster.d/components.sh; eval "$(sed -n '/^owned_netns() {/,/^}/p' scripts/cluster)"; ${script}`],
    { cwd: REPO, env: { ...process.env, DD_CLUSTER_STATE: state }, encoding: 'utf8', timeout: 60_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function tempState(): string {
  const d = mkdtempSync(`${tmpdir()}/dd-cluster-state-`);
  temps.push(d);
  return d;
}
const livePid = (name: string) => readFileSync(`${LIVE_RUN}/${name}.pid`, 'utf8').trim();

describe('scripts/cluster on a shared host', () => {
  it('a port held by a process it did not start is an error naming the port and the process; nothing is started', async () => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const state = tempState();
    const r = cluster(state, `LISTENS[probe]=127.0.0.1:${port}; start probe sleep 300`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cluster: port ${port} (127.0.0.1:${port}, wanted by probe) is already in use by pid ${process.pid} (`);
    expect(r.stderr).toContain('which this cluster did not start; stop it or free the port');
    expect(existsSync(`${state}/run/probe.pid`)).toBe(false);
  });

  it("someone else's etcd, registry and API server on the ports: refused by name, not taken for healthy", () => {
    // The running cluster is "someone else" to a second state directory.
    const state = tempState();
    // A version cluster (DD_KUBERNETES, scripts/cluster.d/versions.sh) has its own ports.
    const minor = KUBERNETES === undefined ? undefined : Number(/^v?1\.(\d+)/.exec(KUBERNETES)?.[1]);
    const base = minor === undefined ? undefined : 20000 + 100 * minor;
    const cases = [
      ['start_etcd', base === undefined ? 2379 : base + 79, 'etcd', 'etcd'],
      ['start_registry', base === undefined ? 5000 : base + 50, 'registry', 'docker-registry'],
      ['start_apiserver', base === undefined ? 6443 : base + 43, 'kube-apiserver', 'kube-apiserver'],
    ] as const;
    for (const [fn, port, component, comm] of cases) {
      const r = cluster(state, fn);
      expect({ fn, code: r.code }).toEqual({ fn, code: 1 });
      expect(r.stderr).toContain(`cluster: port ${port} (127.0.0.1:${port}, wanted by ${component}) is already in use by pid ${livePid(component)} (${comm}), which this cluster did not start`);
    }
    expect(existsSync(`${state}/run`) ? readdirSync(`${state}/run`) : []).toEqual([]);
  });

  it('its own running components pass the same check (scripts/cluster up stays idempotent)', () => {
    const r = cluster(dirname(KUBECONFIG), 'for c in "${COMPONENTS[@]}"; do is_running "$c" || { echo "$c not running"; exit 3; }; check_ports "$c"; done; echo ok');
    expect(r).toMatchObject({ code: 0, stdout: 'ok\n' });
  });

  it('a pid file whose PID is now another process is not ours: stop leaves that process alone', () => {
    const state = tempState();
    mkdirSync(`${state}/run`, { recursive: true });
    const stranger = spawn('sleep', ['300'], { stdio: 'ignore' });
    children.push(stranger);
    // Recorded start time that is not the process's own (a reused PID) ...
    writeFileSync(`${state}/run/etcd.pid`, `${stranger.pid}\n`);
    writeFileSync(`${state}/run/etcd.start`, `${stranger.pid} 1\n`);
    let r = cluster(state, 'if is_running etcd; then echo running; else echo "not ours"; fi; stop etcd');
    expect(r.stdout).toBe('not ours\n');
    expect(r.stderr).toContain(`not stopping pid ${stranger.pid}: it is no longer etcd (stale pid file)`);
    // ... and a pid file from an older checkout (no start record) naming a non-etcd process.
    writeFileSync(`${state}/run/kubelet.pid`, `${stranger.pid}\n`);
    r = cluster(state, 'stop kubelet');
    expect(r.code).toBe(0);
    expect(stranger.exitCode).toBeNull();
    expect(() => process.kill(stranger.pid!, 0)).not.toThrow();
    expect(readdirSync(`${state}/run`)).toEqual([]);
  });

  it('only the pod network namespaces its own containerd made are its to remove', () => {
    const foreign = `cni-${randomUUID()}`;
    expect(spawnSync('ip', ['netns', 'add', foreign]).status).toBe(0);
    try {
      const r = cluster(dirname(KUBECONFIG), 'owned_netns');
      expect(r.code).toBe(0);
      const owned = r.stdout.split('\n').filter(Boolean);
      expect(owned.length).toBeGreaterThan(0); // the demo app's pod, at least
      expect(owned).not.toContain(`/run/netns/${foreign}`);
      for (const n of owned) expect(n).toMatch(/^\/run\/netns\/cni-[0-9a-f-]+$/);
    } finally {
      spawnSync('ip', ['netns', 'del', foreign]);
    }
  });

  it('no pkill by name anywhere in scripts/cluster', () => {
    const files = ['scripts/cluster', ...readdirSync(`${REPO}/scripts/cluster.d`).filter((f) => f.endsWith('.sh')).map((f) => `scripts/cluster.d/${f}`)];
    for (const f of files) expect({ f, hits: readFileSync(`${REPO}/${f}`, 'utf8').match(/\b(pkill|killall)\b.*/g) ?? [] }).toEqual({ f, hits: [] });
  });
});
