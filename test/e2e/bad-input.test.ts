import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES, FIXTURE_PODS, unchangedPod, type BadInputCase, type FixtureNames, type FixturePod } from './bad-input-cases.js';
import { renderErrorsDoc } from './bad-input-doc.js';
import { appImage, createPod, ensureNamespace, KUBE_MINOR, KUBECONFIG, KUBECTL, kubectl, pinned, PLUGIN, REPO, run, uniq, type Result } from './helpers.js';

// The bad-input table (bad-input-cases.ts), through the real executable on the
// real cluster: exact first line, exit code, no stack trace, nothing on
// stdout, and the named pod left without any ephemeral container. The
// fixtures are fresh for each run; cases run four at a time.

const ns = 'demo';
const dir = mkdtempSync(`${tmpdir()}/dd-bad-input-`);
const names: FixtureNames = {
  running: uniq('bi-run'),
  pending: uniq('bi-pending'),
  succeeded: uniq('bi-done'),
  failed: uniq('bi-failed'),
  crash: uniq('bi-crash'),
  terminating: uniq('bi-term'),
  'psa-pod': 'root-app',
  'psa-ns': uniq('bi-psa'),
  deploy0: uniq('bi-zero'),
  dir,
};
/** Stand-ins that match whatever the run chose (the new debugger's name). */
const WILDCARDS: Readonly<Record<string, string>> = { debugger: 'distroless-debug-[a-z0-9-]+' };

// {server}: the API server of the cluster under test (the default one, or a version cluster's).
const fill = (s: string): string =>
  s.replace(/\{([a-z0-9-]+)\}/g, (m, k: string) => (k === 'server' ? String(cluster.server) : k in names ? names[k as keyof FixtureNames] : m));
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
function lineMatcher(template: string): RegExp {
  const parts = fill(template).split(/(\{[a-z0-9-]+\})/);
  return new RegExp(`^${parts.map((p) => (/^\{([a-z0-9-]+)\}$/.test(p) && WILDCARDS[p.slice(1, -1)] ? WILDCARDS[p.slice(1, -1)] : escapeRe(p))).join('')}$`);
}

/**
 * Where a line quotes what the cluster says and that differs by version (the
 * plugin's own part is the same), what the version clusters said. Measured on
 * v1.37.2: its API server's constrained impersonation refuses the request it
 * was asked to impersonate, not the impersonation of a user; and its kubelet
 * leaves a crash-looping container "terminated (Error)" between restarts, never
 * "waiting (CrashLoopBackOff)" as 1.34 does.
 */
const NEWER_KUBELET_CRASH = KUBE_MINOR !== undefined && KUBE_MINOR >= 37;
const CLUSTER_WORDS: Readonly<Record<string, string>> = NEWER_KUBELET_CRASH
  ? {
      'impersonating with a user who may not impersonate':
        'error: not allowed to impersonate (--as/--as-group): pods "{running}" is forbidden: User "dd-debugger" cannot impersonate-on:user-info:get resource "pods" in API group "" in the namespace "demo"; drop --as/--as-group, or ask your cluster admin for the "impersonate" verb',
      'a container in CrashLoopBackOff': 'error: container app in pod {crash} is not running (terminated (Error)); a debugger can only join a running container: debug a copy of the pod with --copy-to NAME',
    }
  : {};

interface Kubeconfig {
  clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
}
const base = load(readFileSync(KUBECONFIG, 'utf8')) as Kubeconfig;
const cluster = base.clusters[0]!.cluster;
const debuggerUser = base.users.find((u) => u.name === 'debugger')!.user;

function kubeconfigFile(name: string, o: { cluster?: Record<string, unknown>; user?: Record<string, unknown>; context?: Record<string, unknown>; current?: string | null } = {}): void {
  const doc: Record<string, unknown> = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: o.cluster ?? cluster }],
    users: [{ name: 'local', user: o.user ?? debuggerUser }],
    contexts: [{ name: 'local', context: { cluster: 'local', user: 'local', namespace: ns, ...o.context } }],
  };
  if (o.current !== null) doc['current-context'] = o.current ?? 'local';
  writeFileSync(`${dir}/${name}`, JSON.stringify(doc));
}

function script(name: string, body: string, mode = 0o755): string {
  const file = `${dir}/${name}`;
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, mode);
  return file;
}

const execUser = (command: string) => ({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command, interactiveMode: 'Never' } });

function writeFiles(): void {
  chmodSync(dir, 0o755); // the non-root cases must reach the files inside
  mkdirSync(`${dir}/home`);
  writeFileSync(`${dir}/empty.yaml`, '');
  writeFileSync(`${dir}/invalid.yaml`, 'clusters: [\n');
  writeFileSync(`${dir}/list.yaml`, '- a\n- b\n');
  kubeconfigFile('noctx.yaml', { current: null });
  kubeconfigFile('badctx.yaml', { current: 'gone' });
  kubeconfigFile('nocluster.yaml', { context: { cluster: 'gone' } });
  kubeconfigFile('nouser.yaml', { context: { user: 'gone' } });
  kubeconfigFile('ctx-ns.yaml', { context: { namespace: 'no-such-ns' } });
  kubeconfigFile('ctx-default.yaml', { context: { namespace: 'default' } });
  kubeconfigFile('noserver.yaml', { cluster: { 'certificate-authority-data': cluster['certificate-authority-data'] } });
  kubeconfigFile('unreadable.yaml');
  chmodSync(`${dir}/unreadable.yaml`, 0o600); // owned by root: nobody cannot read it
  kubeconfigFile('401.yaml', { user: { token: 'not-a-valid-token' } });
  // A certificate authority of its own, which did not sign the API server's certificate.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/other-ca.key`, '-subj', '/CN=other-ca', '-days', '1', '-out', `${dir}/other-ca.crt`], { stdio: 'ignore' });
  kubeconfigFile('wrong-ca.yaml', { cluster: { ...cluster, 'certificate-authority-data': readFileSync(`${dir}/other-ca.crt`).toString('base64') } });
  kubeconfigFile('altname.yaml', { cluster: { ...cluster, 'tls-server-name': 'not-the-api-server.example' } });
  kubeconfigFile('down.yaml', { cluster: { ...cluster, server: 'https://127.0.0.1:1' } });
  const { 'certificate-authority-data': _ca, ...noCa } = cluster;
  kubeconfigFile('ca-missing.yaml', { cluster: { ...noCa, 'certificate-authority': `${dir}/no-such-ca.crt` } });
  kubeconfigFile('plugin-fail.yaml', { user: execUser(script('plugin-fail.sh', 'echo "token expired, log in again" >&2\nexit 1')) });
  kubeconfigFile('plugin-missing.yaml', { user: execUser('no-such-auth-plugin') });
  kubeconfigFile('plugin-noexec.yaml', { user: execUser(script('plugin-noexec.sh', 'echo {}', 0o644)) });
  kubeconfigFile('plugin-garbage.yaml', { user: execUser(script('plugin-garbage.sh', 'echo "here is your token: abc"')) });
  // Hangs, and starts a child of its own: both must be gone after the timeout.
  kubeconfigFile('plugin-hang.yaml', { user: execUser(script('plugin-hang.sh', `sleep 300 &\necho "$$ $!" >> ${dir}/hang.pids\nwait`)) });
}

async function applyJSON(obj: unknown): Promise<void> {
  await kubectl(['apply', '-f', '-'], JSON.stringify(obj));
}

const podJSON = (name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, ...meta },
  spec: pinned({ terminationGracePeriodSeconds: 1, ...spec }),
});

interface PodState {
  metadata: { deletionTimestamp?: string };
  spec: { ephemeralContainers?: unknown[] };
  status: { phase?: string; containerStatuses?: Array<{ restartCount: number; state: { waiting?: { reason?: string }; terminated?: { reason?: string } } }> };
}
const adminUser = base.users.find((u) => u.name === 'admin')!.user;
const pem = (v: unknown) => Buffer.from(String(v), 'base64');
/** Reads a pod straight from the API server as admin: ~150 reads, cheaper than as many kubectl runs. */
function podState(name: string, namespace = ns): Promise<PodState> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${String(cluster.server)}/api/v1/namespaces/${namespace}/pods/${name}`,
      { ca: pem(cluster['certificate-authority-data']), cert: pem(adminUser['client-certificate-data']), key: pem(adminUser['client-key-data']) },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as PodState) : reject(new Error(`GET pod ${name}: ${res.statusCode} ${body}`))));
      },
    );
    req.on('error', reject).end();
  });
}

async function until(what: string, check: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`fixture not ready: ${what}`);
}

/** Backing off between restarts: waiting (CrashLoopBackOff), or on 1.37 terminated after a restart. */
const crashLooping = async () => {
  const st = (await podState(names.crash)).status.containerStatuses?.[0];
  if (NEWER_KUBELET_CRASH) return (st?.restartCount ?? 0) >= 1 && st?.state.terminated !== undefined;
  return st?.state.waiting?.reason === 'CrashLoopBackOff';
};

beforeAll(async () => {
  writeFiles();
  await Promise.all([
    createPod({ namespace: ns, name: names.running }),
    applyJSON(podJSON(names.pending, { nodeSelector: { 'distroless-debug.test/no-such-node': 'true' }, containers: [{ name: 'app', image: appImage('nonroot') }] })),
    applyJSON(podJSON(names.succeeded, { restartPolicy: 'Never', containers: [{ name: 'app', image: 'docker.io/library/busybox:1.37.0', command: ['true'] }] })),
    applyJSON(podJSON(names.failed, { restartPolicy: 'Never', containers: [{ name: 'app', image: appImage('crash') }] })),
    applyJSON(podJSON(names.crash, { containers: [{ name: 'app', image: appImage('crash') }] })),
    createPod({ namespace: ns, name: names.terminating }).then(async () => {
      await kubectl(['-n', ns, 'patch', 'pod', names.terminating, '--type=merge', '-p', '{"metadata":{"finalizers":["distroless-debug.test/hold"]}}']);
      await kubectl(['-n', ns, 'delete', 'pod', names.terminating, '--wait=false']);
    }),
    (async () => {
      // A root app admitted under "privileged"; then the namespace is raised to "restricted".
      await ensureNamespace(names['psa-ns'], { 'pod-security.kubernetes.io/enforce': 'privileged' });
      await createPod({ namespace: names['psa-ns'], name: names['psa-pod'], image: appImage('root') });
      await kubectl(['label', 'namespace', names['psa-ns'], '--overwrite', 'pod-security.kubernetes.io/enforce=restricted']);
    })(),
    kubectl(['-n', ns, 'create', 'deployment', names.deploy0, `--image=${appImage('nonroot')}`, '--replicas=0']),
  ]);
  await Promise.all([
    until('Succeeded', async () => (await podState(names.succeeded)).status.phase === 'Succeeded'),
    until('Failed', async () => (await podState(names.failed)).status.phase === 'Failed'),
    until('Pending and unschedulable', async () => (await podState(names.pending)).status.phase === 'Pending'),
    until('terminating', async () => Boolean((await podState(names.terminating)).metadata.deletionTimestamp)),
    until('CrashLoopBackOff', crashLooping),
  ]);
});

afterAll(async () => {
  await kubectl(['-n', ns, 'patch', 'pod', names.terminating, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']).catch(() => '');
  await Promise.all([
    kubectl(['-n', ns, 'delete', 'pod', names.running, names.pending, names.succeeded, names.failed, names.crash, names.terminating, '--wait=false', '--ignore-not-found']),
    kubectl(['-n', ns, 'delete', 'deployment', names.deploy0, '--ignore-not-found']),
    kubectl(['delete', 'namespace', names['psa-ns'], '--wait=false', '--ignore-not-found']),
  ]).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** Four at a time: the machine has two cores and other suites share the cluster. */
function limiter(n: number): <T>(f: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: Array<() => void> = [];
  return async (f) => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await f();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}
const slot = limiter(4);
/** DD_BAD_INPUT_PLUGIN runs the table against another build (e.g. an older one, to see what it got wrong). */
const EXECUTABLE = process.env.DD_BAD_INPUT_PLUGIN ?? PLUGIN;

function runCase(c: BadInputCase): Promise<Result> {
  const args = [...(c.quiet === false ? [] : ['-q']), ...c.args.map(fill)];
  const env = Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, fill(v)]));
  if (c.user === 'nobody') {
    return run('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', EXECUTABLE, ...args], { env, timeoutMs: 60_000 });
  }
  return run(EXECUTABLE, args, { env, timeoutMs: 60_000 });
}

async function ephemeralCount(pod: FixturePod): Promise<number> {
  const namespace = pod === 'psa-pod' ? names['psa-ns'] : ns;
  return ((await podState(names[pod], namespace)).spec.ephemeralContainers ?? []).length;
}

describe('bad input', () => {
  it('the table has at least 100 distinct inputs', () => {
    const keys = CASES.map((c) => JSON.stringify([c.args, c.env ?? {}, c.user ?? '']));
    expect(new Set(keys).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(100);
    expect(new Set(CASES.map((c) => c.title)).size).toBe(CASES.length);
  });

  it('docs/errors.md is generated from the table (scripts/gen-errors-doc.mjs)', () => {
    expect(readFileSync(`${REPO}docs/errors.md`, 'utf8')).toBe(renderErrorsDoc(CASES));
  });

  it.concurrent.each(CASES.map((c) => [c.title, c] as const))('%s', async (_title, c) => {
    const r = await slot(async () => {
      // The crash fixture runs for 2 s between back-offs: ask while it is backing off.
      if (unchangedPod(c) === 'crash') await until('CrashLoopBackOff', crashLooping);
      return runCase(c);
    });
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(lineMatcher(CLUSTER_WORDS[c.title] ?? c.line));
    expect(r.code).toBe(c.code);
    expect(r.stderr).not.toMatch(/^ {4}at /m);
    expect(r.stdout).toBe('');
    const pod = unchangedPod(c);
    if (pod) expect(await ephemeralCount(pod)).toBe(0);
  });

  it('every fixture pod is still without a debugger at the end', async () => {
    for (const pod of Object.keys(FIXTURE_PODS) as FixturePod[]) expect(await ephemeralCount(pod)).toBe(0);
  });
});

describe('--request-timeout takes exactly what kubectl 1.34 takes', () => {
  const values = ['0', '-0', '5', '0s', '1.5', '-1', '-1s', '+5s', '.5s', '1.s', '1000h', '1e3', '24d', ' 1s', '5S', '1h30m', '2562047h', '2562048h'];
  it.each(values)('%j', async (v) => {
    const [theirs, ours] = await Promise.all([
      run(KUBECTL, ['--context', 'admin', 'get', 'namespace', 'default', '-o', 'name', `--request-timeout=${v}`]),
      run(PLUGIN, ['-q', '-n', ns, names.running, '--dry-run', `--request-timeout=${v}`]),
    ]);
    expect({ accepted: ours.code === 0 }).toEqual({ accepted: theirs.code === 0 });
    if (ours.code !== 0) expect(ours.code).toBe(64);
  });
});

describe('a kubectl flag at the end, with no value: kubectl refuses it too', () => {
  it.each(['--as', '--context', '--kubeconfig', '--cluster', '--user', '-n', '--namespace', '--as-group', '--request-timeout'])('%s', async (flag) => {
    const [theirs, ours] = await Promise.all([run(KUBECTL, ['get', 'pods', flag]), run(EXECUTABLE, ['-n', ns, names.running, flag])]);
    expect(theirs.stderr.split('\n')[0]).toMatch(/^error: flag needs an argument: /);
    expect(theirs.code).not.toBe(0);
    expect(ours.stderr.split('\n')[0]).toMatch(new RegExp(`^error: flag ${flag} needs a value, e\\.g\\. ${flag} \\S+; see --help$`));
    expect(ours.code).toBe(64);
  });
});

describe('a hanging exec credential plugin', () => {
  const pids = () => {
    try {
      return readFileSync(`${dir}/hang.pids`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  /** Running processes only: a zombie waiting for a reaper that never comes (a container's PID 1) is not running. */
  const alive = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  };

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('%s while it runs ends the plugin and kills the credential plugin with its children', async (signal) => {
    rmSync(`${dir}/hang.pids`, { force: true });
    const child = spawn(PLUGIN, ['-q', '--kubeconfig', `${dir}/plugin-hang.yaml`, '-n', ns, names.running, '--', 'true'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | string | null>((resolve) => child.on('close', (code, sig) => resolve(code ?? sig)));
    await until('the credential plugin started', async () => pids().length === 2, 20_000);
    const t0 = Date.now();
    child.kill(signal);
    await exited;
    expect(Date.now() - t0).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 300));
    expect(pids().filter(alive)).toEqual([]);
  });

  it('after --request-timeout: exit 73 and no process left', async () => {
    rmSync(`${dir}/hang.pids`, { force: true });
    const t0 = Date.now();
    const r = await run(PLUGIN, ['-q', '--kubeconfig', `${dir}/plugin-hang.yaml`, '--request-timeout', '2s', '-n', ns, names.running, '--', 'true']);
    expect(r.code).toBe(73);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await new Promise((r2) => setTimeout(r2, 300));
    expect(pids()).toHaveLength(2);
    expect(pids().filter(alive)).toEqual([]);
  });
});
