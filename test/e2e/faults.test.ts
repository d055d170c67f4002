import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, getPod, kubectl, PLUGIN, uniq } from './helpers.js';
import { Relay } from './relay.js';

// The network between the plugin and the API server fails: a relay in front
// of the API server is cut (FIN), reset (RST), black-holed (nothing passes,
// nothing closes), black-holed and brought back, or refused, while the plugin
// waits for a new debugger, while a command runs, and during an interactive
// shell in a real terminal. Each case must end with one clear line and the
// documented exit code within the time it promises, leave no local process
// behind, never add a second debugger, restore the terminal, and the debugger
// must end by itself within its idle timeout once its last connection is gone.

const ns = 'demo';
const IDLE_S = 20;
const TOLERANCE_MS = 1_500;
let relay: Relay;
let kubeconfig = '';

/** Debuggers left by the cases, checked at the end: each must end within its idle timeout. */
const debuggers: Array<{ case: string; pod: string; name: string; connectionGoneAt: number }> = [];
const pods: string[] = [];

async function freshPod(prefix: string): Promise<string> {
  const name = uniq(prefix);
  pods.push(name);
  await createPod({ namespace: ns, name });
  return name;
}

beforeAll(async () => {
  relay = await Relay.start();
  kubeconfig = relay.kubeconfig();
});
afterAll(async () => {
  await relay?.close();
  await Promise.all(pods.map((p) => deletePod(ns, p)));
});

/** Every process whose parent chain leads to `root`, from /proc. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(entry), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  for (const pid of parent.keys()) {
    for (let p = parent.get(pid), hops = 0; p !== undefined && p > 1 && hops < 64; p = parent.get(p), hops++) {
      if (p === root) {
        out.push(pid);
        break;
      }
    }
  }
  return out;
}

/** Live processes running the plugin's executable (as its own argument) for `pod`. */
function pluginProcesses(pod: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes(PLUGIN) && argv.includes(pod) && alive(Number(entry))) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From the fault to the plugin's exit. */
  afterFaultMs: number;
  /** Processes the plugin started that outlived it. */
  leftovers: number[];
}

/**
 * Runs the plugin through the relay; when `trigger` first matches its stderr
 * (or stdout), `fault` runs. Resolves when the plugin has exited.
 */
function runWithFault(args: string[], trigger: { stream: 'stderr' | 'stdout'; match: RegExp }, fault: () => void | Promise<void>): Promise<Outcome & { faultAt: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PLUGIN, ['--kubeconfig', kubeconfig, '-n', ns, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    let faultAt = 0;
    const seen = new Set<number>();
    const poll = setInterval(() => {
      if (child.pid) for (const p of descendants(child.pid)) seen.add(p);
    }, 100);
    const check = () => {
      const text = trigger.stream === 'stderr' ? stderr : stdout;
      if (!faultAt && trigger.match.test(text)) {
        faultAt = Date.now();
        void Promise.resolve(fault()).catch(reject);
      }
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      check();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      check();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      clearTimeout(killer);
      const end = Date.now();
      resolve({ code, stdout, stderr, faultAt, afterFaultMs: faultAt ? end - faultAt : -1, leftovers: [...seen].filter(alive) });
    });
  });
}

/** The plugin's own error: exactly one line, starting with "error: ", no stack trace, not internal. */
function errorLine(stderr: string): string {
  // -v adds "  detail:" and "  cause:" lines after the error; nothing else may follow it.
  const lines = stderr.split('\n').filter((l) => l !== '' && !/^ {2}(detail|cause): /.test(l));
  const errors = lines.filter((l) => l.startsWith('error: '));
  expect(errors, stderr).toHaveLength(1);
  expect(lines[lines.length - 1], stderr).toBe(errors[0]);
  expect(stderr).not.toMatch(/^\s+at .*\(.*:\d+:\d+\)$/m);
  expect(stderr).not.toMatch(/internal error/);
  return errors[0] as string;
}

/**
 * Counts the pod's debuggers (a retry must never patch again: exactly one)
 * and records it for the final check of its end. Called before the case's
 * other assertions, so a failing case still has its debugger checked.
 */
async function recordDebugger(pod: string, label: string, connectionGoneAt: number): Promise<string[]> {
  const names = (await getPod(ns, pod)).spec.ephemeralContainers?.map((c) => c.name) ?? [];
  for (const name of names) debuggers.push({ case: label, pod, name, connectionGoneAt });
  return names;
}

const added = { stream: 'stderr' as const, match: /added debugger/ };
const started = { stream: 'stdout' as const, match: /started\n/ };
const common = ['--idle-timeout', `${IDLE_S}s`];

describe('a black-holed API server before anything changes', () => {
  it.each([
    // kubectl's default: no --request-timeout. The plugin still gives up on a silent connection.
    { name: 'no --request-timeout: 75 after 30 s of silence', args: [] as string[], code: 75, within: 30_000, line: /^error: no answer from the API server at 127\.0\.0\.1:\d+ for 30s during \S+ \S+; check that the cluster is up and the network/ },
    { name: '--request-timeout 3s: 73 after 3 s', args: ['--request-timeout', '3s'], code: 73, within: 3_000, line: /^error: the API server at 127\.0\.0\.1:\d+ did not answer \S+ \S+ within 3s \(--request-timeout\); check the network/ },
  ])('$name, the pod unchanged', async ({ args, code, within, line }) => {
    const pod = await freshPod('flt-pre');
    relay.blackhole();
    try {
      // Timed from the moment the plugin starts talking to the API server (-v prints it), not from process start-up.
      const r = await runWithFault([pod, ...args, '-v', '--', 'true'], { stream: 'stderr', match: /\[timing\] kubeconfig/ }, () => undefined);
      expect(r.code, r.stderr).toBe(code);
      expect(errorLine(r.stderr)).toMatch(line);
      expect(r.afterFaultMs).toBeLessThan(within + TOLERANCE_MS);
      expect(r.afterFaultMs).toBeGreaterThan(within - TOLERANCE_MS);
      expect(r.leftovers).toEqual([]);
    } finally {
      await relay.restore();
    }
    expect((await getPod(ns, pod)).spec.ephemeralContainers ?? []).toEqual([]);
  }, 60_000);
});

describe('faults while waiting for a new debugger to start', () => {
  it.each([
    ['cut', () => relay.cut()],
    ['reset', () => relay.reset()],
  ])('%s: it recovers or ends with one clear line (75/78), fast, with one debugger', async (label, fault) => {
    const pod = await freshPod(`flt-w${label}`);
    const r = await runWithFault([pod, ...common, '--timeout', '20s', '--', 'cat', 'etc/app-variant'], added, fault);
    expect(await recordDebugger(pod, `waiting/${label}`, Date.now()), 'one debugger').toHaveLength(1);
    if (r.code === 0) {
      expect(r.stdout).toBe('nonroot\n');
    } else {
      expect([75, 78], r.stderr).toContain(r.code);
      expect(errorLine(r.stderr)).toMatch(/API server|connection/i);
    }
    expect(r.afterFaultMs).toBeLessThan(20_000 + TOLERANCE_MS);
    expect(r.leftovers).toEqual([]);
  });

  it('black hole: --timeout 10s holds; 75 saying the API server stopped answering', async () => {
    const pod = await freshPod('flt-whole');
    const r = await runWithFault([pod, ...common, '--timeout', '10s', '--', 'cat', 'etc/app-variant'], added, () => relay.blackhole());
    await relay.restore();
    expect(await recordDebugger(pod, 'waiting/blackhole', r.faultAt), 'one debugger').toHaveLength(1);
    expect(r.code, r.stderr).toBe(75);
    expect(errorLine(r.stderr)).toMatch(/^error: lost contact with the API server at 127\.0\.0\.1:\d+ .*while debugger \S+ was starting.*; check the network .*run the same command again/);
    expect(r.afterFaultMs).toBeLessThan(10_000 + TOLERANCE_MS);
    expect(r.afterFaultMs).toBeGreaterThan(10_000 - TOLERANCE_MS);
    expect(r.leftovers).toEqual([]);
  });

  it('black hole: --request-timeout 5s holds (one attempt, not two); 73', async () => {
    const pod = await freshPod('flt-wrto');
    const r = await runWithFault([pod, ...common, '--request-timeout', '5s', '--', 'cat', 'etc/app-variant'], added, () => relay.blackhole());
    await relay.restore();
    expect(await recordDebugger(pod, 'waiting/blackhole-request-timeout', r.faultAt), 'one debugger').toHaveLength(1);
    expect(r.code, r.stderr).toBe(73);
    expect(errorLine(r.stderr)).toMatch(/within 5s.*--request-timeout/);
    expect(r.afterFaultMs).toBeLessThan(5_000 + TOLERANCE_MS);
    expect(r.leftovers).toEqual([]);
  });

  it('black hole for 2 s, then back: the run carries on and succeeds', async () => {
    const pod = await freshPod('flt-wback');
    const r = await runWithFault([pod, ...common, '--timeout', '30s', '--', 'cat', 'etc/app-variant'], added, async () => {
      relay.blackhole();
      await new Promise((res) => setTimeout(res, 2_000));
      await relay.restore();
    });
    expect(await recordDebugger(pod, 'waiting/blackhole-back', Date.now()), 'one debugger').toHaveLength(1);
    expect(r.stderr).not.toMatch(/^error: /m);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: 'nonroot\n' });
    expect(r.afterFaultMs).toBeLessThan(15_000);
    expect(r.leftovers).toEqual([]);
  });

  it('the API server goes away (connections refused): one clear line, 75 or 78, within --timeout', async () => {
    const pod = await freshPod('flt-wdown');
    const r = await runWithFault([pod, ...common, '--timeout', '10s', '--', 'cat', 'etc/app-variant'], added, () => relay.refuse());
    await relay.restore();
    expect(await recordDebugger(pod, 'waiting/refused', r.faultAt), 'one debugger').toHaveLength(1);
    expect([75, 78], r.stderr).toContain(r.code);
    expect(errorLine(r.stderr)).toMatch(/ECONNREFUSED|cannot reach|lost contact/);
    expect(r.afterFaultMs).toBeLessThan(10_000 + TOLERANCE_MS);
    expect(r.leftovers).toEqual([]);
  });
});

describe('faults while a command runs', () => {
  const cmd = ['--', 'sh', '-c', 'echo started; sleep 60'];
  it.each([
    ['cut', () => relay.cut(), 5_000],
    ['reset', () => relay.reset(), 5_000],
    // Found by the stream's pings: a ping every 5 s, 30 s without a pong.
    ['blackhole', () => relay.blackhole(), 36_000],
  ])('%s: exit 75 with one line saying the connection was lost', async (label, fault, withinMs) => {
    const pod = await freshPod(`flt-c${label}`);
    const r = await runWithFault([pod, ...common, ...cmd], started, fault);
    await relay.restore();
    expect(await recordDebugger(pod, `command/${label}`, r.faultAt), 'one debugger').toHaveLength(1);
    expect(r.stdout).toBe('started\n');
    expect(r.code, r.stderr).toBe(75);
    expect(errorLine(r.stderr)).toMatch(/connection .*lost|lost .*connection|stopped answering/i);
    expect(r.afterFaultMs).toBeLessThan(withinMs + TOLERANCE_MS);
    expect(r.leftovers).toEqual([]);
  }, 120_000);

  it('the target pod is deleted mid-command: one line saying so, not a bare 137', async () => {
    const pod = await freshPod('flt-cdel');
    const r = await runWithFault([pod, ...common, ...cmd], started, () => kubectl(['-n', ns, 'delete', 'pod', pod, '--wait=false']).then(() => undefined));
    expect(r.stdout).toBe('started\n');
    expect(r.code, r.stderr).toBe(68);
    expect(errorLine(r.stderr)).toMatch(/deleted/);
    expect(r.afterFaultMs).toBeLessThan(15_000);
    expect(r.leftovers).toEqual([]);
  });
});

describe('faults during an interactive shell (tmux)', () => {
  const tmux = (...a: string[]) => execFileSync('tmux', a, { encoding: 'utf8' });

  it.each([
    ['cut', () => relay.cut(), 8_000],
    ['reset', () => relay.reset(), 8_000],
    ['blackhole', () => relay.blackhole(), 40_000],
  ])('%s: 75, the message on its own line, the terminal exactly as before', async (label, fault, withinMs) => {
    const pod = await freshPod(`flt-i${label}`);
    const session = uniq('dd-flt');
    const dir = mkdtempSync(`${tmpdir()}/dd-flt-`);
    // The shell around the plugin records the terminal's modes before and after.
    tmux(
      'new-session', '-d', '-s', session, '-x', '100', '-y', '30',
      `stty -a > ${dir}/before; ${PLUGIN} --kubeconfig ${kubeconfig} -n ${ns} ${pod} --idle-timeout ${IDLE_S}s; echo "EXITED rc=$?"; stty -a > ${dir}/after; sleep 600`,
    );
    try {
      const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-100', '-t', session);
      const until = async (re: RegExp, ms: number) => {
        const deadline = Date.now() + ms;
        while (!re.test(screen()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 150));
        return screen();
      };
      expect(await until(/\] \/ \$ $/m, 60_000)).toMatch(/\] \/ \$ $/m);
      const faultAt = Date.now();
      await fault();
      const s = await until(/EXITED rc=\d+/, withinMs + 10_000);
      const took = Date.now() - faultAt;
      await relay.restore();
      expect(await recordDebugger(pod, `interactive/${label}`, faultAt), 'one debugger').toHaveLength(1);
      expect(s).toContain('EXITED rc=75');
      expect(took).toBeLessThan(withinMs + TOLERANCE_MS);
      // One line, at the start of a line (not glued to the remote prompt).
      expect(s).toMatch(/^error: .*(lost|stopped answering).*$/m);
      expect(s.match(/error: /g)).toHaveLength(1);
      for (let i = 0; i < 20 && !readFileSync(`${dir}/after`, { encoding: 'utf8', flag: 'a+' }); i++) await new Promise((r) => setTimeout(r, 100));
      expect(readFileSync(`${dir}/after`, 'utf8')).toBe(readFileSync(`${dir}/before`, 'utf8'));
      // No plugin process left for this pod (the shell around it names it too, but only inside one -c string).
      expect(pluginProcesses(pod)).toEqual([]);
    } finally {
      tmux('kill-session', '-t', session);
    }
  }, 150_000);
});

describe('the debuggers left by the faults', () => {
  it(`each ends by itself within its idle timeout (${IDLE_S}s) once its last connection is gone`, async () => {
    expect(debuggers.length).toBeGreaterThan(0);
    const ended = new Map<string, number>();
    const pending = () => debuggers.filter((d) => !ended.has(d.name) && Date.now() < d.connectionGoneAt + 45_000);
    do {
      await Promise.all(
        debuggers
          .filter((d) => !ended.has(d.name))
          .map(async (d) => {
            const status = (await getPod(ns, d.pod)).status.ephemeralContainerStatuses?.find((s) => s.name === d.name);
            const t = status?.state.terminated as { finishedAt?: string } | undefined;
            if (t) ended.set(d.name, t.finishedAt ? Date.parse(t.finishedAt) : Date.now());
          }),
      );
      if (pending().length > 0) await new Promise((r) => setTimeout(r, 1_000));
    } while (pending().length > 0);
    // finishedAt has whole seconds: one more second of slack.
    const late = debuggers
      .filter((d) => !ended.has(d.name) || (ended.get(d.name) as number) > d.connectionGoneAt + 46_000)
      .map((d) => `${d.case} (${d.pod}/${d.name}): ${ended.has(d.name) ? `ended ${Math.round(((ended.get(d.name) as number) - d.connectionGoneAt) / 1000)}s after` : 'still running'}`);
    expect(late, 'debuggers still running 45 s after their last connection was gone').toEqual([]);
  }, 180_000);
});
