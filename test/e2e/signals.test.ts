import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, KUBECONFIG, KUBECTL, PLUGIN, plugin, uniq } from './helpers.js';

// Every signal in every phase ends the plugin with 128+signal (README), one
// message on a line of its own, the terminal restored (raw mode off, cursor
// shown) and no local process left: loading (a hanging exec credential
// plugin), waiting for the debugger (spinner), an interactive shell, and a
// piped command. A closed terminal (tmux kill-session) ends it promptly.
const ns = 'demo';
const pod = uniq('sig');
const dir = mkdtempSync(`${tmpdir()}/dd-sig-`);
const SIGNALS = [
  { sig: 'SIGINT', code: 130, message: 'distroless-debug: interrupted (SIGINT)' },
  { sig: 'SIGTERM', code: 143, message: 'distroless-debug: terminated (SIGTERM)' },
  { sig: 'SIGHUP', code: 129, message: 'distroless-debug: the terminal was closed (SIGHUP)' },
] as const;

// The node reaches the host at this address (docs: BRIEF, field facts); a
// registry there that accepts connections and never answers keeps the
// debugger "waiting" (ContainerCreating, then pull back-off) for as long as needed.
const NODE_SIDE_HOST = '10.213.213.1';
let blackHole: Server;
const held = new Set<Socket>();
let hangImage = '';

beforeAll(async () => {
  await createPod({ namespace: ns, name: pod });
  blackHole = createServer((s) => {
    held.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => blackHole.listen(0, NODE_SIDE_HOST, r));
  hangImage = `${NODE_SIDE_HOST}:${(blackHole.address() as { port: number }).port}/hang:1`;
  const warm = await plugin(['-n', ns, pod, '-q', '--', 'true']);
  expect(warm.code).toBe(0);
});
afterAll(async () => {
  for (const s of held) s.destroy();
  blackHole?.close();
  await deletePod(ns, pod);
});

/** Running (a zombie waiting for its new parent to reap it is not). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

/** Every live descendant of pid (from /proc). */
function descendants(root: number): number[] {
  const kids = new Map<number, number[]>();
  for (const name of execFileSync('ls', ['/proc'], { encoding: 'utf8' }).split('\n')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const queue = [...(kids.get(root) ?? [])];
  while (queue.length) {
    const p = queue.shift() as number;
    out.push(p);
    queue.push(...(kids.get(p) ?? []));
  }
  return out;
}

async function gone(pids: number[], ms = 3_000): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(alive);
}

async function waitUntil(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The plugin without a terminal; resolves `ready` when `until()` holds. */
function spawnPlugin(args: string[]) {
  const child = spawn(PLUGIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG } });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
  return { child, out, done };
}

describe('loading: a hanging exec credential plugin', () => {
  // A credential plugin that is a script running the real tool as its child.
  const helper = `${dir}/hang-credential`;
  const kubeconfig = `${dir}/exec-kubeconfig`;
  beforeAll(() => {
    writeFileSync(helper, `#!/bin/sh\necho $$ > "$PIDDIR/helper.pid"\nsleep 300 &\necho $! > "$PIDDIR/sleep.pid"\nwait\n`);
    chmodSync(helper, 0o755);
    const server = execFileSync(KUBECTL, ['--kubeconfig', KUBECONFIG, 'config', 'view', '--raw', '-o', 'jsonpath={.clusters[0].cluster.server}'], { encoding: 'utf8' });
    const ca = execFileSync(KUBECTL, ['--kubeconfig', KUBECONFIG, 'config', 'view', '--raw', '-o', 'jsonpath={.clusters[0].cluster.certificate-authority-data}'], { encoding: 'utf8' });
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ${server}\n    certificate-authority-data: ${ca}\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: ${helper}\n      interactiveMode: Never\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n`,
    );
  });

  it.each(SIGNALS)('$sig: exit $code, one line, the credential plugin and its child gone', async ({ sig, code, message }) => {
    const piddir = mkdtempSync(`${dir}/pids-`);
    const child = spawn(PLUGIN, ['--kubeconfig', kubeconfig, '-n', ns, pod, '-q', '--', 'true'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PIDDIR: piddir },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const done = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    await waitUntil(() => existsSync(`${piddir}/sleep.pid`) && readFileSync(`${piddir}/sleep.pid`, 'utf8').trim() !== '', 'the credential plugin to start');
    const pids = [Number(readFileSync(`${piddir}/helper.pid`, 'utf8')), Number(readFileSync(`${piddir}/sleep.pid`, 'utf8'))];
    expect(pids.every(alive)).toBe(true);
    const t0 = Date.now();
    child.kill(sig);
    expect(await done).toBe(code);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(stderr).toBe(`${message}\n`);
    expect(await gone(pids)).toEqual([]);
  });
});

describe('a piped command', () => {
  it.each(SIGNALS)('$sig: exit $code, one line, no local process left', async ({ sig, code, message }) => {
    const run = spawnPlugin(['-n', ns, pod, '-q', '--', 'sh', '-c', 'echo started; sleep 300']);
    await waitUntil(() => run.out.stdout.includes('started'), 'the command to start');
    const kids = descendants(run.child.pid as number);
    const t0 = Date.now();
    run.child.kill(sig);
    expect((await run.done).code).toBe(code);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(run.out.stderr).toBe(`${message}\n`);
    expect(await gone(kids)).toEqual([]);
  });
});

// tmux's server exits with its last session, and a new-session racing that
// exit fails ("server exited unexpectedly"): one idle session keeps it up.
const keeper = uniq('dd-sig-keep');
beforeAll(() => {
  execFileSync('tmux', ['new-session', '-d', '-s', keeper, 'sleep 3600']);
});
afterAll(() => {
  execFileSync('tmux', ['kill-session', '-t', keeper]);
});

/** A tmux pane running the plugin; the pane's shell prints the exit code, stty -a and then waits. */
function tmuxRun(args: string) {
  const session = uniq('dd-sig');
  const pidfile = `${dir}/${session}.pid`;
  const modes = { before: `${dir}/${session}.stty-before`, after: `${dir}/${session}.stty-after` };
  const tmux = (...a: string[]) => execFileSync('tmux', a, { encoding: 'utf8' });
  // A person at a terminal: no CI variable (CI runs the suite with CI=true,
  // and a spinner rightly stays off under CI).
  // prettier-ignore
  tmux(
    'new-session', '-d', '-s', session, '-x', '110', '-y', '40',
    `stty -a > ${modes.before}; sh -c 'echo $$ > ${pidfile}; exec env -u CI KUBECONFIG=${KUBECONFIG} ${PLUGIN} ${args}'; echo "EXITED rc=$?"; stty -a > ${modes.after}; stty -a; sleep 600`,
  );
  const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-100', '-t', session);
  return {
    session,
    screen,
    pid: () => Number(readFileSync(pidfile, 'utf8')),
    /** `stty -a` in the pane before the plugin started and after it ended. */
    modes: () => ({ before: readFileSync(modes.before, 'utf8'), after: readFileSync(modes.after, 'utf8') }),
    cursorShown: () => tmux('display-message', '-p', '-t', session, '#{cursor_flag}').trim() === '1',
    async until(re: RegExp, ms = 60_000): Promise<string> {
      const deadline = Date.now() + ms;
      for (;;) {
        const s = screen();
        if (re.test(s)) return s;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} on screen:\n${s}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    },
    kill: () => {
      try {
        tmux('kill-session', '-t', session);
      } catch {
        // already gone
      }
    },
  };
}

function expectEnded(s: string, code: number, message: string): void {
  expect(s).toContain(`EXITED rc=${code}`);
  const lines = s.split('\n');
  // Exactly one message, alone on its line.
  expect(lines.filter((l) => l.includes(message))).toEqual([message]);
  const modes = s.slice(s.indexOf('EXITED'));
  expect(modes).toMatch(/(^|\s)icanon(\s|$)/m);
  expect(modes).toMatch(/(^|\s)echo(\s|$)/m);
  expect(modes).toMatch(/(^|\s)isig(\s|$)/m);
}

describe('waiting for the debugger, with the spinner', () => {
  it.each(SIGNALS)('$sig: exit $code, one line, spinner gone, cursor shown, terminal restored', async ({ sig, code, message }) => {
    const t = tmuxRun(`-n ${ns} ${pod} --new --image ${hangImage} --timeout 3m`);
    try {
      await t.until(/added debugger/);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(t.cursorShown()).toBe(false); // the spinner hides it
      const pid = t.pid();
      const kids = descendants(pid);
      process.kill(pid, sig);
      const s = await t.until(/EXITED rc=\d+[\s\S]*speed/, 10_000);
      expectEnded(s, code, message);
      const { before, after } = t.modes();
      expect(after).toBe(before);
      expect(t.cursorShown()).toBe(true);
      expect(await gone([pid, ...kids])).toEqual([]);
    } finally {
      t.kill();
    }
  });

  it('a closed terminal (tmux kill-session) ends it promptly', async () => {
    const t = tmuxRun(`-n ${ns} ${pod} --new --image ${hangImage} --timeout 3m`);
    try {
      await t.until(/added debugger/);
      const pid = t.pid();
      t.kill();
      expect(await gone([pid], 5_000)).toEqual([]);
    } finally {
      t.kill();
    }
  });
});

describe('an interactive shell', () => {
  it.each(SIGNALS)('$sig: exit $code, one line after the prompt, cursor shown, terminal restored', async ({ sig, code, message }) => {
    const t = tmuxRun(`-n ${ns} ${pod}`);
    try {
      await t.until(/\[debug pod\/\S+ app\] \/ \$ $/m);
      // A full-screen program would hide the cursor; the plugin must show it again.
      execFileSync('tmux', ['send-keys', '-t', t.session, "printf '\\033[?25l'", 'Enter']);
      await new Promise((r) => setTimeout(r, 500));
      expect(t.cursorShown()).toBe(false);
      const pid = t.pid();
      const kids = descendants(pid);
      process.kill(pid, sig);
      const s = await t.until(/EXITED rc=\d+[\s\S]*speed/, 10_000);
      expectEnded(s, code, message);
      const { before, after } = t.modes();
      expect(after).toBe(before);
      expect(t.cursorShown()).toBe(true);
      expect(await gone([pid, ...kids])).toEqual([]);
    } finally {
      t.kill();
    }
  });

  it('a closed terminal (tmux kill-session) ends it promptly', async () => {
    const t = tmuxRun(`-n ${ns} ${pod}`);
    try {
      await t.until(/\[debug pod\/\S+ app\] \/ \$ $/m);
      const pid = t.pid();
      t.kill();
      expect(await gone([pid], 5_000)).toEqual([]);
    } finally {
      t.kill();
    }
  });
});
