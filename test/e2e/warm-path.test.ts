import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appImage, createPod, deletePod, ephemeralNames, plugin, uniq } from './helpers.js';
import { Relay } from './relay.js';

// A command on a running debugger (the warm path) opens its TLS connection
// while the plugin still loads (src/session/head-start.ts). Through a relay
// that counts TCP connections: that early connection is the one the exec
// uses (one connection in all), and when it cannot be made the run says so
// like any other unreachable server, without hanging or crashing.
const ns = 'demo';
const dir = mkdtempSync(join(tmpdir(), 'dd-warm-'));
const env = { XDG_CACHE_HOME: join(dir, 'cache') };
let relay: Relay;
let kubeconfig: string;
let pod: string;

beforeAll(async () => {
  relay = await Relay.start();
  kubeconfig = relay.kubeconfig();
  pod = uniq('warm');
  await createPod({ namespace: ns, name: pod, image: appImage('nonroot') });
  // The first run on the fresh pod makes the debugger and remembers it.
  const first = await plugin(['--kubeconfig', kubeconfig, '-n', ns, pod, '-q', '--', 'true'], { env });
  expect(first).toMatchObject({ code: 0, stderr: '' });
}, 120_000);

afterAll(async () => {
  await relay.close();
  await deletePod(ns, pod);
  rmSync(dir, { recursive: true, force: true });
});

describe('the warm path connects ahead', () => {
  it('runs a command with piped input over the one connection it opened ahead', async () => {
    const before = relay.accepted;
    const r = await plugin(['--kubeconfig', kubeconfig, '-n', ns, pod, '-v', '--', 'sh', '-c', 'cat; cat etc/app-variant'], { env, input: 'piped\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('piped\nnonroot\n');
    expect(r.stderr).toContain(`[debug] opening the connection to ${relay.url} ahead of the exec`);
    expect(r.stderr).toMatch(/remembered debugger distroless-debug-\w+ for these options; opening it directly/);
    expect(relay.accepted - before).toBe(1);
    expect(await ephemeralNames(ns, pod)).toHaveLength(1);
  });

  it('two runs back to back each use their own early connection, and leave one debugger', async () => {
    const before = relay.accepted;
    const a = await plugin(['--kubeconfig', kubeconfig, '-n', ns, pod, '-q', '--', 'id', '-u'], { env });
    const b = await plugin(['--kubeconfig', kubeconfig, '-n', ns, pod, '-q', '--', 'id', '-u'], { env });
    expect([a, b].map((x) => [x.code, x.stdout, x.stderr])).toEqual([
      [0, '65532\n', ''],
      [0, '65532\n', ''],
    ]);
    expect(relay.accepted - before).toBe(2);
    expect(await ephemeralNames(ns, pod)).toHaveLength(1);
  });

  it('a server that refuses connections ends the run with the unreachable-server message, not a hang or a crash', async () => {
    await relay.refuse();
    try {
      const r = await plugin(['--kubeconfig', kubeconfig, '-n', ns, pod, '-q', '--', 'true'], { env, timeoutMs: 30_000 });
      expect(r.code).toBe(78);
      expect(r.stderr).toMatch(/^error: cannot reach the API server at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    } finally {
      await relay.restore();
    }
  });

  it('a dry run or --new opens nothing ahead', async () => {
    const r = await plugin(['--kubeconfig', kubeconfig, '-n', ns, pod, '--dry-run', '-v'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('ahead of the exec');
  });
});
