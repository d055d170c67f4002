import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, ensureNamespace, KUBECONFIG, KUBECTL, kubectl, plugin, PLUGIN, REPO, run, uniq } from './helpers.js';

// Issue 12: the who/when/why record, list, stop and --record, through the
// real executable on the real cluster. Fresh namespaces and pods only.
const ns1 = uniq('dd-list-a');
const ns2 = uniq('dd-list-b');
const empty = uniq('dd-list-empty');
const label = uniq('e2e');
const A = 'app-a'; // ns1: a debugger opened by admin with a reason
const B = 'app-b'; // ns2: a debugger to stop, and another tool's ephemeral container
const C = 'app-c'; // ns2: a debugger with an open session while it is stopped
const VERSION = (JSON.parse(readFileSync(`${REPO}/package.json`, 'utf8')) as { version: string }).version;
const tmp = mkdtempSync(join(tmpdir(), 'dd-e2e-record-'));
// A cache of our own: no remembered debugger from another run (or user) takes a shortcut.
const env = { XDG_CACHE_HOME: tmp };

interface Env {
  name: string;
  value?: string;
}
interface PodSpecJSON {
  spec: { ephemeralContainers?: Array<{ name: string; env?: Env[] }> };
  status: { ephemeralContainerStatuses?: Array<{ name: string; state: { running?: object; terminated?: { exitCode: number; message?: string } } }> };
}
const podJSON = (ns: string, name: string) => kubectl(['-n', ns, 'get', 'pod', name, '-o', 'json']).then((s) => JSON.parse(s) as PodSpecJSON);
const envOf = (c: { env?: Env[] } | undefined) => Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value ?? '']));

async function waitTerminated(ns: string, pod: string, name: string, ms = 60_000): Promise<{ exitCode: number; message?: string }> {
  const deadline = Date.now() + ms;
  for (;;) {
    const t = (await podJSON(ns, pod)).status.ephemeralContainerStatuses?.find((s) => s.name === name)?.state.terminated;
    if (t) return t;
    if (Date.now() > deadline) throw new Error(`${name} still not terminated`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  await Promise.all([ensureNamespace(ns1), ensureNamespace(ns2), ensureNamespace(empty)]);
  await Promise.all([
    createPod({ namespace: ns1, name: A }).then(() => kubectl(['-n', ns1, 'label', 'pod', A, `${label}=yes`])),
    createPod({ namespace: ns2, name: B }).then(() => kubectl(['-n', ns2, 'label', 'pod', B, `${label}=yes`])),
    createPod({ namespace: ns2, name: C }),
  ]);
});

afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await Promise.all([ns1, ns2, empty].map((n) => kubectl(['delete', 'namespace', n, '--wait=false', '--ignore-not-found'])));
});

describe('who, when and why', () => {
  let debuggerA = '';

  it('a new debugger records who opened it (the API server\'s name), when, the version and --reason, in its own spec', async () => {
    const before = Date.now();
    const r = await plugin(['-n', ns1, A, '--reason', 'INC-7 e2e check', '--', 'true'], { env });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const pod = await podJSON(ns1, A);
    expect(pod.spec.ephemeralContainers).toHaveLength(1);
    debuggerA = pod.spec.ephemeralContainers![0]!.name;
    const e = envOf(pod.spec.ephemeralContainers![0]);
    expect(e.DD_OPENED_BY).toBe('dd-admin'); // SelfSubjectReview: the cert's user, not the kubeconfig's "admin"
    expect(e.DD_PLUGIN_VERSION).toBe(VERSION);
    expect(e.DD_REASON).toBe('INC-7 e2e check');
    const at = Date.parse(e.DD_OPENED_AT ?? '');
    expect(at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 5_000);
    expect(at).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it('another run with another reason reuses it (the record is not in the reuse key) and leaves the record as it was', async () => {
    const r = await plugin(['-n', ns1, A, '--', 'true'], { env: { ...env, DISTROLESS_DEBUG_REASON: 'INC-8 someone else' } });
    expect(r.code).toBe(0);
    const pod = await podJSON(ns1, A);
    expect(pod.spec.ephemeralContainers!.map((c) => c.name)).toEqual([debuggerA]);
    expect(envOf(pod.spec.ephemeralContainers![0]).DD_REASON).toBe('INC-7 e2e check');
    expect(r.stderr).not.toMatch(/opened by/); // our own debugger: nothing to say
  });

  it("another user reusing it is told whose it is (one line on stderr); still one debugger", async () => {
    const r = await plugin(['--context', 'debugger', '-n', ns1, A, '--', 'true'], { env });
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => /opened by/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`debugger ${debuggerA} was opened by dd-admin at \\S+Z \\(reason: INC-7 e2e check\\), not by you \\(dd-debugger\\)`));
    expect((await podJSON(ns1, A)).spec.ephemeralContainers).toHaveLength(1);
    // The remembered debugger (warm path) says it again.
    const again = await plugin(['--context', 'debugger', '-n', ns1, A, '--', 'true'], { env });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/was opened by dd-admin/);
  });

  it('--dry-run shows the record a new debugger would carry', async () => {
    const r = await plugin(['-n', ns2, B, '--new', '--dry-run', '--reason', 'INC-9'], { env });
    expect(r.code).toBe(0);
    const doc = load(r.stdout) as { env: Env[] };
    const e = envOf(doc);
    expect(e.DD_OPENED_BY).toBe('dd-admin');
    expect(e.DD_REASON).toBe('INC-9');
    expect(e.DD_PLUGIN_VERSION).toBe(VERSION);
    expect((await podJSON(ns2, B)).spec.ephemeralContainers ?? []).toHaveLength(0);
  });

  it('a reason with a newline is refused before anything changes (64)', async () => {
    const r = await plugin(['-n', ns2, B, '--reason', 'two\nlines', '--', 'true'], { env });
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^error: --reason must be one line of printable text/);
    expect((await podJSON(ns2, B)).spec.ephemeralContainers ?? []).toHaveLength(0);
  });
});

describe('list', () => {
  let debuggerB = '';
  const other = 'other-dbg';

  beforeAll(async () => {
    const r = await plugin(['-n', ns2, B, '--', 'true'], { env });
    expect(r.code).toBe(0);
    debuggerB = (await podJSON(ns2, B)).spec.ephemeralContainers![0]!.name;
    // Another tool's ephemeral container (kubectl debug), which list marks.
    await kubectl(['-n', ns2, 'debug', B, '--image=docker.io/library/busybox:1.37.0', '-c', other, '--target=app', '--', 'sleep', '1']);
    // Its state settles (exited) before the tests read it twice (-o json, then -o yaml),
    // and ours reports running: a status flipping between two reads is not a difference.
    await waitTerminated(ns2, B, other);
    for (const deadline = Date.now() + 60_000; ; ) {
      if ((await podJSON(ns2, B)).status.ephemeralContainerStatuses?.find((c) => c.name === debuggerB)?.state.running) break;
      if (Date.now() > deadline) throw new Error(`${debuggerB} never reported running`);
      await new Promise((r) => setTimeout(r, 300));
    }
  });

  it('-A across namespaces: kubectl\'s table with NAMESPACE first, the record, and other tools marked', async () => {
    const r = await plugin(['list', '-A', '-l', `${label}=yes`], { env });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+POD\s+DEBUGGER\s+TARGET\s+IDENTITY\s+PROFILE\s+STATE\s+AGE\s+OPENED BY\s+REASON$/);
    const rows = lines.slice(1);
    // Sorted by namespace (ns1 = dd-list-a-... before dd-list-b-...), then pod, then oldest first.
    expect(rows.map((l) => l.split(/\s{3,}/).slice(0, 3))).toEqual([
      [ns1, A, expect.stringMatching(/^distroless-debug-/)],
      [ns2, B, debuggerB],
      [ns2, B, other],
    ]);
    expect(rows[0]).toMatch(/app\s+65532:65532\s+restricted\s+Running\s+\S+\s+dd-admin\s+INC-7 e2e check$/);
    expect(rows[2]).toMatch(/\(other tool\)/);
    // Columns line up (kubectl's tabwriter): every row's POD starts where the header's does.
    const podCol = lines[0]!.indexOf('POD');
    for (const l of rows) expect(l.slice(podCol)).toMatch(/^app-[ab]\s/);
  });

  it('-n: no NAMESPACE column; --no-headers drops the header; POD narrows to one pod', async () => {
    const r = await plugin(['list', '-n', ns1], { env });
    expect(r.stdout.split('\n')[0]).toMatch(/^POD\s+DEBUGGER/);
    const nh = await plugin(['list', '-n', ns2, '--no-headers'], { env });
    expect(nh.code).toBe(0);
    expect(nh.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/)[1])).toEqual([debuggerB, other]);
    const one = await plugin(['list', '-n', ns1, A, '--no-headers'], { env });
    expect(one.stdout.trimEnd().split('\n')).toHaveLength(1);
  });

  it('-o wide adds mode, image, when opened and the version, and says how long a running debugger has been idle', async () => {
    const r = await plugin(['list', '-n', ns1, '-o', 'wide'], { env });
    expect(r.code).toBe(0);
    const [head, row] = r.stdout.trimEnd().split('\n');
    expect(head).toMatch(/REASON\s+MODE\s+IMAGE\s+OPENED AT\s+VERSION$/);
    expect(row).toMatch(/Running, idle \S+ \(exits in \S+\)/);
    expect(row).toMatch(new RegExp(`exec\\s+docker.io/library/busybox:1.37.0\\s+\\S+Z\\s+${VERSION.replace(/\./g, '\\.')}$`));
  });

  it('-o json and -o yaml carry every field, the record included', async () => {
    const j = await plugin(['list', '-n', ns2, '-o', 'json'], { env });
    const doc = JSON.parse(j.stdout) as { kind: string; items: Array<{ name: string; tool: string; record: { openedBy: string } | null; state: { kind: string } }> };
    expect(doc.kind).toBe('DebuggerList');
    expect(doc.items.map((i) => [i.name, i.tool])).toEqual([
      [debuggerB, 'distroless-debug'],
      [other, 'other'],
    ]);
    expect(doc.items[0]!.record?.openedBy).toBe('dd-admin');
    const y = await plugin(['list', '-n', ns2, '-o', 'yaml'], { env });
    expect(load(y.stdout)).toEqual(JSON.parse(j.stdout));
  });

  it('no debuggers: nothing on stdout, kubectl\'s "No resources found" shape on stderr, exit 0 (as kubectl get)', async () => {
    const ours = await plugin(['list', '-n', empty], { env });
    const theirs = await run(KUBECTL, ['--context', 'admin', 'get', 'pods', '-n', empty]);
    expect(theirs).toEqual({ code: 0, stdout: '', stderr: `No resources found in ${empty} namespace.\n` });
    expect(ours).toEqual({ code: 0, stdout: '', stderr: `No debuggers found in ${empty} namespace.\n` });
    const json = await plugin(['list', '-n', empty, '-o', 'json'], { env });
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { items: unknown[] }).items).toEqual([]);
  });

  it('a pod that does not exist: 66, like a session', async () => {
    const r = await plugin(['list', '-n', empty, 'nope'], { env });
    expect(r.code).toBe(66);
    expect(r.stderr).toBe(`error: pod "nope" not found in namespace "${empty}"; check the name, or -n/--namespace\n`);
  });
});

describe('stop', () => {
  it('forbidden (viewer: no pods/exec): 70, said so, and the debugger keeps running', async () => {
    const r = await plugin(['stop', '--context', 'viewer', '-n', ns1, A], { env });
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/needs "create pods\/exec"/);
    const s = (await podJSON(ns1, A)).status.ephemeralContainerStatuses![0]!.state;
    expect(s.running).toBeDefined();
  });

  it('--dry-run lists what would be stopped and changes nothing', async () => {
    const r = await plugin(['stop', '-n', ns1, A, '--dry-run'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^would stop debugger distroless-debug-\\S+ in pod ${A} \\(namespace ${ns1}\\), opened by dd-admin\\n$`));
    expect((await podJSON(ns1, A)).status.ephemeralContainerStatuses![0]!.state.running).toBeDefined();
  });

  it('an idle running debugger: stopped, exit 0 with "stopped by" as its termination message', async () => {
    const name = (await podJSON(ns1, A)).spec.ephemeralContainers![0]!.name;
    const r = await plugin(['stop', '-n', ns1, A], { env });
    expect(r.stderr).toMatch(/waiting for debugger/);
    expect(r.stdout).toBe(`debugger ${name} in pod ${A} (namespace ${ns1}) stopped\n`);
    expect(r.code).toBe(0);
    const t = await waitTerminated(ns1, A, name, 5_000); // stop waited for it
    expect(t.exitCode).toBe(0);
    expect(t.message).toMatch(/^stopped by dd-admin at \S+Z\n$/);
    const l = await plugin(['list', '-n', ns1, '--no-headers'], { env });
    expect(l.stdout).toMatch(/Exited 0 \(Completed\): stopped by dd-admin at \S+Z/);
  });

  it('already exited: said so, exit 0', async () => {
    const r = await plugin(['stop', '-n', ns1, A], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/already exited \(stopped by dd-admin at \S+Z\)\n$/);
  });

  it('a container another tool added cannot be stopped: named with the reason, exit 77', async () => {
    const r = await plugin(['stop', '-n', ns2, B, 'other-dbg'], { env });
    expect(r.code).toBe(77);
    expect(r.stderr).toMatch(/^error: cannot stop debugger other-dbg in pod app-b .*not a debugger of this plugin/m);
    expect(r.stderr).toMatch(/^error: 1 debugger could not be stopped|^error: 1 of 1 debugger not stopped/m);
  });

  it('an attach-mode debugger (its user may not exec): the session is told, hung up, and the debugger stops', async () => {
    const D = 'app-d';
    await createPod({ namespace: ns1, name: D });
    const session = plugin(['--context', 'attacher', '-n', ns1, D, '--', 'sleep', '120'], { env });
    let name = '';
    const deadline = Date.now() + 60_000;
    while (!name) {
      const p = await podJSON(ns1, D);
      name = p.status.ephemeralContainerStatuses?.find((s) => s.state.running)?.name ?? '';
      if (Date.now() > deadline) throw new Error('the attach debugger never ran');
      if (!name) await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 1500)); // the session has started
    const r = await plugin(['stop', '-n', ns1, D], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`debugger ${name} in pod ${D} (namespace ${ns1}) stopped\n`);
    const ended = await session;
    expect(ended.stderr).toMatch(/distroless-debug: this debugger was stopped by dd-admin at \S+Z; the session ends now/);
    const t = await waitTerminated(ns1, D, name, 5_000);
    expect(t.message).toMatch(/^stopped by dd-admin at \S+Z\n$/);
  });

  it('a debugger still starting (its status lags the kubelet): stop waits for it and stops it, --dry-run lists it; no 77', async () => {
    // A session starts; as soon as its debugger is in the pod spec, stop runs. The pod
    // status says "running" only up to a PLEG period (~1 s) after the container runs,
    // so stop usually meets it still "starting": that used to be refused with 77.
    let sawStarting = 0;
    for (let attempt = 0; attempt < 4 && sawStarting < 2; attempt++) {
      const E = uniq('app-e');
      await createPod({ namespace: ns1, name: E });
      const session = plugin(['-n', ns1, E, '-q', '--', 'sleep', '30'], { env });
      let name = '';
      const deadline = Date.now() + 60_000;
      while (!name) {
        name = (await podJSON(ns1, E)).spec.ephemeralContainers?.[0]?.name ?? '';
        if (Date.now() > deadline) throw new Error('no debugger was added');
        if (!name) await new Promise((r) => setTimeout(r, 50));
      }
      const dry = attempt % 2 === 1;
      const r = await plugin(['stop', '-n', ns1, E, ...(dry ? ['--dry-run'] : [])], { env });
      expect(r.stderr).not.toMatch(/^error:/m);
      expect(r.code).toBe(0);
      if (dry) {
        expect(r.stdout).toMatch(new RegExp(`^would stop debugger ${name} in pod ${E} \\(namespace ${ns1}\\)( \\(starting\\))?, opened by dd-admin\\n$`));
        if (r.stdout.includes('(starting)')) sawStarting++;
        await plugin(['stop', '-n', ns1, E], { env }); // end the session
      } else {
        expect(r.stdout).toBe(`debugger ${name} in pod ${E} (namespace ${ns1}) stopped\n`);
        if (r.stderr.includes('is still starting; stopping it once it runs')) sawStarting++;
        expect((await waitTerminated(ns1, E, name, 5_000)).message).toMatch(/^stopped by dd-admin at \S+Z\n$/);
      }
      const ended = await session;
      // The keeper tells a session it stopped; a session still opening learns it from the status.
      expect(ended.stderr).toMatch(/this debugger was stopped by dd-admin|debugger \S+ was stopped by dd-admin at \S+Z \(kubectl distroless-debug stop\) while this session was starting/);
      expect((await podJSON(ns1, E)).spec.ephemeralContainers).toHaveLength(1);
    }
    // The case this test is for happened (each run above passed either way).
    expect(sawStarting).toBeGreaterThan(0);
  });

  it('--all -n: every running debugger of the namespace', async () => {
    const r = await plugin(['stop', '--all', '-n', ns2], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/debugger distroless-debug-\S+ in pod app-b \(namespace \S+\) stopped/);
  });
});

// A person at a terminal: tmux runs the plugin.
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
async function waitScreen(session: string, pattern: RegExp, ms = 60_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', session);
    if (pattern.test(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
const PROMPT = /\[debug pod\/\S+ app\] \/ \$ $/m;
type Event = [number, string, string];
function readCast(file: string): { header: Record<string, unknown>; events: Event[] } {
  const lines = readFileSync(file, 'utf8').split('\n');
  expect(lines.pop()).toBe(''); // every line complete, newline-terminated
  const [head, ...rest] = lines.map((l) => JSON.parse(l) as unknown);
  const events = rest as Event[];
  let t = 0;
  for (const e of events) {
    expect(e).toHaveLength(3);
    expect(['o', 'i', 'r']).toContain(e[1]);
    expect(e[0]).toBeGreaterThanOrEqual(t); // times never go back
    t = e[0];
  }
  return { header: head as Record<string, unknown>, events };
}

describe('--record and stop with an open session', () => {
  const sessions: string[] = [];
  afterAll(() => {
    for (const s of sessions) {
      try {
        tmux('kill-session', '-t', s);
      } catch {
        // gone
      }
    }
  });

  it('records output and resizes (not input) as asciicast v2; stop tells the open session and closes it', async () => {
    const session = uniq('dd-rec');
    sessions.push(session);
    const file = join(tmp, 'session.cast');
    const cmd = `env KUBECONFIG=${KUBECONFIG} XDG_CACHE_HOME=${tmp} ${PLUGIN} -n ${ns2} ${C} --record ${file}; echo "EXITED rc=$?"; sleep 600`;
    tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', cmd);
    await waitScreen(session, PROMPT);
    tmux('send-keys', '-t', session, 'echo "hello-$((6 * 7))"', 'Enter');
    await waitScreen(session, /hello-42\n/);
    tmux('resize-window', '-t', session, '-x', '120', '-y', '40');
    await new Promise((r) => setTimeout(r, 500));
    tmux('send-keys', '-t', session, 'stty size', 'Enter');
    await waitScreen(session, /\n40 120\n/);

    const stop = await plugin(['stop', '-n', ns2, C], { env });
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/stopped\n$/);
    const screen = await waitScreen(session, /EXITED rc=\d+/);
    expect(screen).toMatch(/distroless-debug: this debugger was stopped by dd-admin at \S+Z; the session ends now/);

    const { header, events } = readCast(file);
    expect(header).toMatchObject({ version: 2, width: 100, height: 30 });
    expect(typeof header.timestamp).toBe('number');
    const out = events.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
    expect(out).toMatch(/hello-42/);
    expect(out).toMatch(/40 120/);
    expect(out).toMatch(/this debugger was stopped by dd-admin/);
    expect(events.filter((e) => e[1] === 'i')).toEqual([]); // input only with --record-input
    expect(events.some((e) => e[1] === 'r' && e[2] === '120x40')).toBe(true);
  });

  it('--record-input adds what was typed; a recording cut by SIGKILL is still valid up to that point', async () => {
    const session = uniq('dd-rec');
    sessions.push(session);
    const file = join(tmp, 'cut.cast');
    // exec: the pane's process is the plugin itself, so its PID is known.
    const cmd = `exec env KUBECONFIG=${KUBECONFIG} XDG_CACHE_HOME=${tmp} ${PLUGIN} -n ${ns2} ${C} --record ${file} --record-input`;
    tmux('new-session', '-d', '-s', session, '-x', '90', '-y', '25', cmd);
    await waitScreen(session, PROMPT);
    tmux('send-keys', '-t', session, 'echo "cut-$((40 + 2))"', 'Enter');
    await waitScreen(session, /cut-42\n/);
    const pid = Number(tmux('display-message', '-p', '-t', session, '#{pane_pid}').trim());
    expect(pid).toBeGreaterThan(1);
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const { header, events } = readCast(file);
    expect(header).toMatchObject({ version: 2, width: 90, height: 25 });
    expect(events.filter((e) => e[1] === 'i').map((e) => e[2]).join('')).toContain('echo "cut-$((40 + 2))"');
    expect(events.filter((e) => e[1] === 'o').map((e) => e[2]).join('')).toMatch(/cut-42/);
  });
});
