import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appImage, deletePod, kubectl, kubectlJSON, pinned, plugin, run, KUBECTL, uniq } from './helpers.js';

// --copy-to on workloads whose pods do not run (deploy/NAME crash-looping, or
// scaled to zero), and --dry-run with --copy-to, through the real executable
// on fresh Deployments and pods of the :crash fixture (it listens for 2 s,
// then exits 1).

const ns = 'demo';
const crashing = uniq('crash-deploy');
const empty = uniq('zero-deploy');
const copies: string[] = [];

interface PodJSON {
  metadata: { name: string; uid?: string; creationTimestamp?: string; labels?: Record<string, string>; ownerReferences?: unknown[] };
  spec: {
    restartPolicy?: string;
    initContainers?: Array<{ name: string; image: string }>;
    containers: Array<{ name: string; image: string; command?: string[]; env?: Array<{ name: string; value?: string }>; terminationMessagePath?: string }>;
  };
  status?: { containerStatuses?: Array<{ name: string; restartCount: number; state: Record<string, unknown> }> };
}

async function exists(name: string): Promise<boolean> {
  const r = await run(KUBECTL, ['--context', 'admin', '-n', ns, 'get', 'pod', name, '--ignore-not-found', '-o', 'name']);
  return r.stdout.trim() !== '';
}

function deployment(name: string, replicas: number): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: pinned({
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'app', image: appImage('crash'), env: [{ name: 'APP_MODE', value: 'from-deploy' }] }],
        }),
      },
    },
  });
}

/** The Deployment's pods, once one has crashed at least once and none runs. */
async function crashLooping(name: string): Promise<PodJSON[]> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const pods = (await kubectlJSON<{ items: PodJSON[] }>(['-n', ns, 'get', 'pods', '-l', `app=${name}`])).items;
    const statuses = pods.map((p) => p.status?.containerStatuses?.[0]);
    if (pods.length > 0 && statuses.every((s) => s && s.restartCount >= 1 && !s.state['running'])) return pods;
    if (Date.now() > deadline) throw new Error(`${name} did not crash-loop: ${JSON.stringify(statuses)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

let crashPods: string[] = [];

beforeAll(async () => {
  await kubectl(['apply', '-f', '-'], deployment(crashing, 1));
  await kubectl(['apply', '-f', '-'], deployment(empty, 0));
  crashPods = (await crashLooping(crashing)).map((p) => p.metadata.name);
}, 150_000);

afterAll(async () => {
  await kubectl(['-n', ns, 'delete', 'deployment', crashing, empty, '--ignore-not-found', '--wait=false']);
  for (const c of copies) await deletePod(ns, c);
});

describe('--copy-to deploy/NAME whose pods do not run', () => {
  it('without --copy-to: refused, and the message offers --copy-to', async () => {
    const r = await plugin(['-n', ns, `deploy/${crashing}`, '--', 'true']);
    expect(r.code).toBe(67);
    expect(r.stderr).toMatch(new RegExp(`^error: deploy/${crashing} has no running and ready pod to debug; name one directly \\(${crashPods[0]} \\(Running\\)\\), or debug a copy of one with --copy-to NAME\\n$`));
  });

  it('--rm: copies its crash-looping pod (last exit and log shown); the session runs as the app; the copy is gone after', async () => {
    const copy = uniq('deploy-copy');
    copies.push(copy);
    const r = await plugin(['-n', ns, `deploy/${crashing}`, '--copy-to', copy, '--rm', '--', 'sh', '-c', 'id -u; echo "cmd=$APP_COMMAND mode=$APP_MODE"; cat /etc/app-secret']);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('65532\ncmd=/app mode=from-deploy\nsecret of the crash fixture\n');
    expect(r.stderr).toContain(`distroless-debug: pod/${crashPods[0]}: container app\n`);
    expect(r.stderr).toMatch(/distroless-debug: container app last exited: Error, exit code 1, at /);
    expect(r.stderr).toContain(`distroless-debug: deleted pod/${copy}\n`);
    expect(await exists(copy)).toBe(false);
  });

  it('the copy names the pod it copies, carries none of its labels and is adopted by no ReplicaSet', async () => {
    const copy = uniq('deploy-copy');
    copies.push(copy);
    const r = await plugin(['-q', '-n', ns, `deploy/${crashing}`, '--copy-to', copy, '--', 'true']);
    expect(r.code).toBe(0);
    const p = await kubectlJSON<PodJSON>(['-n', ns, 'get', 'pod', copy]);
    expect(p.metadata.labels).toEqual({ 'distroless-debug/copy-of': crashPods[0] });
    expect(p.metadata.ownerReferences).toBeUndefined();
    // The ReplicaSet still has exactly its own pods.
    const pods = (await kubectlJSON<{ items: PodJSON[] }>(['-n', ns, 'get', 'pods', '-l', `app=${crashing}`])).items.map((x) => x.metadata.name);
    expect(pods).not.toContain(copy);
    await deletePod(ns, copy);
  });

  it('a Deployment with no pods (replicas 0): the copy is made from its pod template', async () => {
    const copy = uniq('zero-copy');
    copies.push(copy);
    const r = await plugin(['-n', ns, `deploy/${empty}`, '--copy-to', copy, '--rm', '--', 'sh', '-c', 'id -u; echo "mode=$APP_MODE"; cat /etc/app-secret']);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('65532\nmode=from-deploy\nsecret of the crash fixture\n');
    expect(r.stderr).toContain(`distroless-debug: deploy/${empty} has no pods: the copy is made from its pod template\n`);
    expect(await exists(copy)).toBe(false);
  });
});

describe('--dry-run with --copy-to', () => {
  it('client: prints the copy pod (YAML) and creates nothing', async () => {
    const copy = uniq('dry-copy');
    const r = await plugin(['-n', ns, `deploy/${crashing}`, '--copy-to', copy, '--dry-run']);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    const p = load(r.stdout) as PodJSON & { kind: string };
    expect(p.kind).toBe('Pod');
    expect(p.metadata.name).toBe(copy);
    expect(p.metadata.labels).toEqual({ 'distroless-debug/copy-of': crashPods[0] });
    expect(p.metadata.uid).toBeUndefined();
    expect(p.spec.restartPolicy).toBe('Never');
    expect(p.spec.initContainers?.[0]?.name).toBe('distroless-debug-busybox');
    const app = p.spec.containers.find((c) => c.name === 'app');
    expect(app?.image).toBe(appImage('crash'));
    expect(app?.command?.[0]).toBe('/.distroless-debug/bin/busybox');
    expect(r.stderr).toContain(`distroless-debug: would create pod/${copy}, a copy of pod/${crashPods[0]} whose app container idles in BusyBox; nothing was changed\n`);
    expect(r.stderr).toContain("distroless-debug: the app's command (in $APP_COMMAND): /app\n");
    expect(await exists(copy)).toBe(false);
  });

  it('-o json prints the same pod as JSON', async () => {
    const copy = uniq('dry-copy');
    const yaml = await plugin(['-q', '-n', ns, `deploy/${crashing}`, '--copy-to', copy, '--dry-run']);
    const json = await plugin(['-q', '-n', ns, `deploy/${crashing}`, '--copy-to', copy, '--dry-run', '-o', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(load(yaml.stdout));
    expect(await exists(copy)).toBe(false);
  });

  it('server: the API server admits the copy (defaults applied, as it would store it) and nothing is created', async () => {
    const copy = uniq('dry-copy');
    const r = await plugin(['-n', ns, `deploy/${crashing}`, '--copy-to', copy, '--dry-run=server', '-o', 'json']);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout) as PodJSON;
    expect(p.metadata.name).toBe(copy);
    // Filled in by the API server, not by the plugin.
    expect(p.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(p.spec.containers.find((c) => c.name === 'app')?.terminationMessagePath).toBe('/dev/termination-log');
    expect(r.stderr).toContain(`distroless-debug: server dry run: the API server accepted the copy pod/${copy}; nothing was changed\n`);
    expect(await exists(copy)).toBe(false);
  });

  it('server: a name that is taken is refused as it would be for real (64), nothing changes', async () => {
    const r = await plugin(['-q', '-n', ns, `deploy/${crashing}`, '--copy-to', crashPods[0] as string, '--dry-run=server']);
    expect(r.code).toBe(64);
    expect(r.stderr).toBe(`error: pod ${crashPods[0]} already exists in namespace "${ns}"; pick another --copy-to name, or delete it: kubectl delete pod ${crashPods[0]} -n ${ns}\n`);
  });
});
