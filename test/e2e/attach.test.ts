import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, KUBE_MINOR, KUBECONFIG, PLUGIN, uniq } from './helpers.js';
import { startStreamProxy, type StreamProxy } from './stream-proxy.js';

// Attach mode (the `attacher` context may attach but not exec) must feel
// like exec: a raw terminal (typed text echoes once), the window size and its
// changes, Ctrl-C to the remote, the shell's exit code, and 75 when the
// connection is lost.
const ns = 'demo';
const pod = uniq('attach');
const keeper = uniq('dd-attach-keep');
const dir = mkdtempSync(`${tmpdir()}/dd-attach-`);
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });

beforeAll(async () => {
  await createPod({ namespace: ns, name: pod });
  // tmux's server exits with its last session; one idle session keeps it up.
  tmux('new-session', '-d', '-s', keeper, 'sleep 3600');
});
afterAll(async () => {
  tmux('kill-session', '-t', keeper);
  await deletePod(ns, pod);
});

describe('attach in a terminal (tmux)', () => {
  it('is raw (one echo), sized, resizes, sends Ctrl-C to the remote, returns the exit code and restores the terminal', async () => {
    const session = uniq('dd-attach');
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
    const before = `${dir}/${session}.stty-before`;
    const after = `${dir}/${session}.stty-after`;
    // prettier-ignore
    tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30',
      `stty -a > ${before}; env KUBECONFIG=${KUBECONFIG} ${PLUGIN} --context attacher -n ${ns} ${pod}; echo "EXITED rc=$?"; stty -a > ${after}; stty -a; sleep 600`);
    try {
      const first = await waitFor(/\[debug pod\/\S+ app\] \/ \$ $/m);
      expect(first).toMatch(/attaching to the debugger/);

      type('echo one-$((6*7))');
      const s1 = await waitFor(/^one-42$/m);
      // Cooked local echo plus the remote terminal's echo would show the command twice.
      expect(s1.match(/echo one-\$\(\(6\*7\)\)/g)).toHaveLength(1);

      type('stty size');
      await waitFor(/^30 100$/m);
      tmux('resize-window', '-t', session, '-x', '120', '-y', '40');
      await new Promise((r) => setTimeout(r, 300));
      type('stty size');
      await waitFor(/^40 120$/m);

      type('sleep 300');
      await waitFor(/\$ sleep 300\n$/m);
      tmux('send-keys', '-t', session, 'C-c');
      type('echo "still $((40 + 2))"');
      await waitFor(/^still 42$/m);

      type('exit 3');
      const s = await waitFor(/EXITED rc=\d+[\s\S]*speed/);
      expect(s).toContain('EXITED rc=3');
      const modes = s.slice(s.indexOf('EXITED'));
      expect(modes).toMatch(/(^|\s)icanon(\s|$)/m);
      expect(modes).toMatch(/(^|\s)echo(\s|$)/m);
      expect(modes).toMatch(/(^|\s)isig(\s|$)/m);
      // Every mode as before (the size changed with the window).
      const sizeless = (f: string) => readFileSync(f, 'utf8').replace(/rows \d+; columns \d+;/, '');
      expect(sizeless(after)).toBe(sizeless(before));
    } finally {
      tmux('kill-session', '-t', session);
    }
  });
});

// The stream proxy relays WebSocket frames; before 1.30 the API server has no
// v5.channel.k8s.io WebSocket and the plugin attaches over SPDY/3.1, which it
// cannot relay (listed for v1.29 only in test/skip-allowlist.txt; connection.test.ts
// cuts an exec session there with a TCP relay instead).
describe.runIf(KUBE_MINOR === undefined || KUBE_MINOR >= 30)('attach with a lost connection', () => {
  let proxy: StreamProxy;
  beforeAll(async () => {
    proxy = await startStreamProxy('attacher');
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('exits 75 with one line, not 0', async () => {
    const child = spawn(PLUGIN, ['--kubeconfig', proxy.kubeconfig, '-n', ns, pod, '-q', '--', 'sh', '-c', 'echo started; sleep 120'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const started = new Promise<void>((resolve) =>
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('started')) resolve();
      }),
    );
    const done = new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    await started;
    proxy.end('cut');
    const t0 = Date.now();
    expect(await done).toBe(75);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(stdout).toBe('started\n');
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: connection to the API server was lost mid-session .*check the network/)]);
  });
});

describe('attach with a command', () => {
  // The command goes into the container's spec, where the kubelet would
  // expand $(VAR) from the container's environment and read $$ as $.
  it('reaches the shell as written: $$ is a PID and $(DD_MODE) is command substitution', () => {
    const out = execFileSync(
      PLUGIN,
      ['--context', 'attacher', '-n', ns, pod, '-q', '--', 'sh', '-c', 'echo "pid=$$"; echo "sub=$(DD_MODE 2>/dev/null || echo none)"; echo "var=$DD_MODE"'],
      { env: { ...process.env, KUBECONFIG }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 },
    );
    expect(out).toMatch(/^pid=\d+$/m);
    expect(out).toMatch(/^sub=none$/m);
    expect(out).toMatch(/^var=attach$/m);
  });
});
