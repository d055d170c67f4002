import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, KUBECTL, kubectlJSON, PLUGIN, type Result, uniq } from './helpers.js';
import { startV4Relay, type UpgradeSeen, type V4Relay } from './v4-relay.js';

// Issue 9 item 5: where only v4.channel.k8s.io is offered (Kubernetes 1.29
// without stream-close translation, or a proxy), piped stdin could never be
// closed and `printf 'x\n' | ... -- wc -l` hung. The plugin falls back to
// SPDY/3.1 as kubectl does, and where SPDY is refused too it refuses piped
// input before anything runs. A relay in front of the real API server plays
// the old server (see v4-relay.ts); kubectl runs through the same relay.
const ns = 'demo';
const pod = uniq('oldsrv');

/** Runs with stdin from `input` (a pipe), or from /dev/null when input is null. */
function runWith(file: string, args: string[], input: string | null, timeoutMs = 120_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [input === null ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // The old code hung here forever: a bounded wait makes that a failure.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (input !== null) {
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(input);
    }
  });
}

const upgrades = (seen: UpgradeSeen[]) => seen.map((s) => `${s.upgrade} ${s.status}${s.chosen ? ` ${s.chosen}` : ''}`);

let debuggerName = '';
beforeAll(async () => {
  await createPod({ namespace: ns, name: pod });
});
afterAll(async () => {
  await deletePod(ns, pod);
});

describe('a server or proxy offering only v4 (SPDY passes)', () => {
  let relay: V4Relay;
  beforeAll(async () => {
    relay = await startV4Relay('v4');
  });
  afterAll(async () => {
    await relay?.close();
  });

  it("`printf 'x\\n' | ... -q -- wc -l` prints 1 and exits 0 (over SPDY), like kubectl", async () => {
    const r = await runWith(PLUGIN, ['--kubeconfig', relay.kubeconfig, '-n', ns, pod, '-q', '--', 'wc', '-l'], 'x\n');
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('1');
    expect(r.code).toBe(0);
    // v5-only WebSocket refused (403, as 1.29), then SPDY with v4: never a v4 WebSocket.
    const ours = upgrades(relay.seen);
    expect(ours).toContain('websocket 403');
    expect(ours).toContain('spdy 101 v4.channel.k8s.io');
    expect(ours.some((u) => u.startsWith('websocket 101'))).toBe(false);

    // (Not execFileSync through the relay: it would block the relay in this process.)
    const pod_ = await kubectlJSON<{ spec: { ephemeralContainers?: Array<{ name: string }> } }>(['-n', ns, 'get', 'pod', pod]);
    debuggerName = pod_.spec.ephemeralContainers?.[0]?.name ?? '';
    expect(debuggerName).not.toBe('');
    relay.seen.length = 0;
    const k = await runWith(KUBECTL, ['--kubeconfig', relay.kubeconfig, '-n', ns, 'exec', '-i', pod, '-c', debuggerName, '--', 'wc', '-l'], 'x\n');
    expect(k.stdout.trim()).toBe('1');
    expect(k.code).toBe(0);
    // kubectl 1.30+ takes the same way (v5-only WebSocket refused, then SPDY);
    // an older kubectl (a version cluster's own) only knows SPDY.
    const minor = Number.parseInt((JSON.parse(execFileSync(KUBECTL, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })) as { clientVersion: { minor: string } }).clientVersion.minor, 10); // "37.2" from a build that stamped the patch too
    expect(upgrades(relay.seen)).toEqual(minor >= 30 ? ['websocket 403', 'spdy 101 v4.channel.k8s.io'] : ['spdy 101 v4.channel.k8s.io']);
  });

  it('`... -q </dev/null` returns (the shell sees the end of its input)', async () => {
    const r = await runWith(PLUGIN, ['--kubeconfig', relay.kubeconfig, '-n', ns, pod, '-q'], null);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a script on stdin runs to its end with its exit code, output intact', async () => {
    const r = await runWith(PLUGIN, ['--kubeconfig', relay.kubeconfig, '-n', ns, pod, '-q'], 'seq 1 20000 | tail -n 1\necho "$((6*7))" >&2\nexit 3\n');
    expect(r.stdout).toBe('20000\n');
    expect(r.stderr).toBe('42\n');
    expect(r.code).toBe(3);
  });

  it('a big output arrives whole, and the exit status after it (no reset at the end)', async () => {
    // Window updates sent to a server that stopped reading once the command
    // ended turned its close into a TCP reset, which dropped the output's tail.
    const size = 64 * 1024 * 1024;
    const r = await runWith(PLUGIN, ['--kubeconfig', relay.kubeconfig, '-n', ns, pod, '-q', '--', 'head', '-c', String(size), '/dev/zero'], '');
    expect(r.stderr).toBe('');
    expect(r.stdout.length).toBe(size);
    expect(r.code).toBe(0);
  });

  it('a big input reaches the command whole (no 64 KiB window stall)', async () => {
    const input = 'y'.repeat(1023).concat('\n').repeat(1024); // 1 MiB
    const r = await runWith(PLUGIN, ['--kubeconfig', relay.kubeconfig, '-n', ns, pod, '-q', '--', 'wc', '-c'], input);
    expect(r.stdout.trim()).toBe(String(1024 * 1024));
    expect(r.code).toBe(0);
  });
});

describe('a proxy that passes only v4 WebSockets and refuses SPDY', () => {
  let relay: V4Relay;
  beforeAll(async () => {
    relay = await startV4Relay('v4-no-spdy');
  });
  afterAll(async () => {
    await relay?.close();
  });

  it('refuses piped input with one line and exit 74 before anything ran; kubectl fails there too', async () => {
    const r = await runWith(PLUGIN, ['--kubeconfig', relay.kubeconfig, '-n', ns, pod, '-q', '--', 'wc', '-l'], 'x\n', 60_000);
    expect(r.code).toBe(74);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: .*offers neither the v5\.channel\.k8s\.io WebSocket \(HTTP 403\) nor SPDY\/3\.1 \(HTTP 400\).*nothing was run; run it from a terminal without piped input/);
    // No stream ever opened: nothing reached the kubelet, so nothing ran.
    expect(relay.seen.every((s) => s.status !== 101)).toBe(true);

    const d = await runWith(PLUGIN, ['--kubeconfig', relay.kubeconfig, '-n', ns, pod, '-q'], null, 60_000);
    expect(d.code).toBe(74);

    relay.seen.length = 0;
    const k = await runWith(KUBECTL, ['--kubeconfig', relay.kubeconfig, '-n', ns, 'exec', '-i', pod, '-c', debuggerName || 'x', '--', 'wc', '-l'], 'x\n', 60_000);
    expect(k.code).not.toBe(0);
    expect(k.stderr).toContain('this proxy does not relay SPDY');
  });
});

describe('a terminal session behind a proxy that passes only v4 WebSockets (SPDY refused)', () => {
  let relay: V4Relay;
  const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
  const keeper = uniq('dd-v4tty-keep');
  beforeAll(async () => {
    relay = await startV4Relay('v4-no-spdy');
    tmux('new-session', '-d', '-s', keeper, 'sleep 3600');
  });
  afterAll(async () => {
    tmux('kill-session', '-t', keeper);
    await relay?.close();
  });

  it('runs on v4 and keeps its lease (the guard exec may use v4): alive well past the lease', async () => {
    const session = uniq('dd-v4tty');
    const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', session);
    const type = (text: string) => tmux('send-keys', '-t', session, text, 'Enter');
    const waitFor = async (re: RegExp, ms = 60_000): Promise<string> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const s = screen();
        if (re.test(s)) return s;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} on screen:\n${s}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    };
    // --idle-timeout 6s: a 6 s lease, so a session without a working guard is ended within seconds.
    // prettier-ignore
    tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30',
      `${PLUGIN} --kubeconfig ${relay.kubeconfig} -n ${ns} ${pod} -q --new --idle-timeout 6s; echo "EXITED rc=$?"; sleep 600`);
    try {
      await waitFor(/\[debug pod\/\S+ app\] \/ \$ $/m, 90_000);
      await new Promise((r) => setTimeout(r, 20_000));
      type('echo alive-$((40+2))');
      await waitFor(/^alive-42$/m, 15_000);
      type('exit 5');
      expect(await waitFor(/EXITED rc=\d+/)).toContain('EXITED rc=5');
      const ws = relay.seen.filter((x) => x.upgrade === 'websocket' && x.status === 101);
      // The session and its guard, both on v4.
      expect(ws.length).toBeGreaterThanOrEqual(2);
      expect(ws.every((x) => x.chosen === 'v4.channel.k8s.io')).toBe(true);
    } finally {
      tmux('kill-session', '-t', session);
    }
  });
});

describe('attach mode (exec denied) through the fallback', () => {
  let relay: V4Relay;
  let refusing: V4Relay;
  const attachPod = uniq('oldsrv-att');
  beforeAll(async () => {
    await createPod({ namespace: ns, name: attachPod });
    relay = await startV4Relay('v4', 'attacher');
    refusing = await startV4Relay('v4-no-spdy', 'attacher');
  });
  afterAll(async () => {
    await relay?.close();
    await refusing?.close();
    await deletePod(ns, attachPod);
  });

  it('piped input ends, the exit code comes from the container (SPDY attach)', async () => {
    const r = await runWith(PLUGIN, ['--kubeconfig', relay.kubeconfig, '-n', ns, attachPod, '-q'], 'echo "attached $((40+2))"\nexit 4\n');
    expect(r.stdout).toContain('attached 42');
    expect(r.code).toBe(4);
    expect(relay.seen.some((s) => s.subresource === 'attach' && s.upgrade === 'spdy' && s.status === 101)).toBe(true);
    expect(relay.seen.some((s) => s.subresource === 'attach' && s.upgrade === 'websocket' && s.status === 101)).toBe(false);
  });

  it('with SPDY refused too: exit 74 before the attached shell got any input', async () => {
    const r = await runWith(PLUGIN, ['--kubeconfig', refusing.kubeconfig, '-n', ns, attachPod, '-q'], 'exit 4\n', 90_000);
    expect(r.code).toBe(74);
    expect(r.stderr).toContain('nothing was run');
  });
});

describe('an interactive terminal over SPDY (a proxy that relays no WebSockets), in tmux', () => {
  let relay: V4Relay;
  const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
  const keeper = uniq('dd-old-keep');
  beforeAll(async () => {
    relay = await startV4Relay('no-websocket');
    tmux('new-session', '-d', '-s', keeper, 'sleep 3600');
  });
  afterAll(async () => {
    tmux('kill-session', '-t', keeper);
    await relay?.close();
  });

  it('types, resizes and exits with the code', async () => {
    const session = uniq('dd-old');
    const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', session);
    const type = (text: string) => tmux('send-keys', '-t', session, text, 'Enter');
    const waitFor = async (re: RegExp, ms = 60_000): Promise<string> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const s = screen();
        if (re.test(s)) return s;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} on screen:\n${s}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    };
    // prettier-ignore
    tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30',
      `${PLUGIN} --kubeconfig ${relay.kubeconfig} -n ${ns} ${pod} -q; echo "EXITED rc=$?"; sleep 600`);
    try {
      await waitFor(/\[debug pod\/\S+ app\] \/ \$ $/m);
      type('echo one-$((6*7))');
      const s1 = await waitFor(/^one-42$/m);
      expect(s1.match(/echo one-\$\(\(6\*7\)\)/g)).toHaveLength(1);
      type('stty size');
      await waitFor(/^30 100$/m);
      tmux('resize-window', '-t', session, '-x', '120', '-y', '40');
      await new Promise((r) => setTimeout(r, 300));
      type('stty size');
      await waitFor(/^40 120$/m);
      type('exit 3');
      const s = await waitFor(/EXITED rc=\d+/);
      expect(s).toContain('EXITED rc=3');
      // Every WebSocket was refused: the session ran over SPDY.
      expect(upgrades(relay.seen)).toContain('spdy 101 v4.channel.k8s.io');
      expect(relay.seen.filter((x) => x.upgrade === 'websocket').every((x) => x.status === 400)).toBe(true);
    } finally {
      tmux('kill-session', '-t', session);
    }
  });
});
