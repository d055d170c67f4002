import type { V1Pod } from '@kubernetes/client-node';
import type { MainIO } from '../../cli/main.js';
import { formatDuration, parseDurationFlag } from '../../duration.js';
import { ForbiddenError, NotAllStoppedError, NotFoundError, UsageError } from '../../errors.js';
import { canI } from '../../kube/access.js';
import { getPod } from '../../kube/pods.js';
import { KubeClient } from '../../kube/rest.js';
import { loadConnection, type ClusterConnection } from '../../kubeconfig/load.js';
import { STOPPED_PREFIX, stopScript } from '../../plan/scripts.js';
import { recordTime } from '../../record/record.js';
import { whoAmI } from '../../record/whoami.js';
import { execCapture, inParallel, type Captured } from '../list/exec.js';
import { notStartedYet } from '../../session/open.js';
import { podPages, type Scope } from '../list/fetch.js';
import { parseFlags, withApiWarnings, type ParsedFlags } from '../list/flags.js';
import type { WarningLog } from '../../kube/warnings.js';
import { compareRows, rowsOf, type DebuggerRow } from '../list/rows.js';

export const STOP_HELP = `End running debuggers now, instead of waiting for their idle timeout.

Usage:
  kubectl distroless-debug stop POD [DEBUGGER...]     this pod's debuggers (all of them, or those named)
  kubectl distroless-debug stop --all [-n NS | -A]    every running debugger in a namespace, or everywhere

Each open session is told, then closed; the debugger exits 0 with "stopped by USER at
TIME" as its termination message (shown by list). The command waits until the pod
status says terminated, with progress on stderr. A debugger still starting is stopped
once it runs.

Options:
      --all              every running debugger of this plugin in the namespace (-A: all)
  -A, --all-namespaces   with --all: every namespace
  -n, --namespace NS     the namespace (default: the context's)
  -l, --selector SEL     with --all: only pods matching this label selector
      --dry-run          list what would be stopped; change nothing
      --timeout D        how long to wait for the status to say terminated (default 1m)
  -q, --quiet            no progress lines
  plus kubectl's --context, --kubeconfig, --cluster, --user, --as, --as-group,
  --request-timeout, -v

Needs "create pods/exec" in the pod's namespace. Exit codes: 0 every debugger asked for is
stopped (or had already exited), 70 stopping is not allowed anywhere asked, 66 the pod or a
named debugger does not exist, 77 some debuggers could not be stopped (each one is named,
with the reason, on stderr).
`;

/** The stop script's exit code when it finds no main process (scripts.ts stopScript). */
const STOP_NO_MAIN = 4;

const SPEC = {
  strings: ['selector', 'timeout', 'dry-run'],
  booleans: ['all', 'all-namespaces', 'quiet', 'help'],
  aliases: { l: 'selector', A: 'all-namespaces', q: 'quiet', h: 'help' },
} as const;

type Outcome =
  | { kind: 'stopped'; row: DebuggerRow }
  | { kind: 'already'; row: DebuggerRow; how: string }
  | { kind: 'failed'; row: DebuggerRow | undefined; name: string; where: string; why: string };

export async function run(argv: string[], io: MainIO): Promise<number> {
  // A bare --dry-run is a boolean here (there is no server side to it).
  const f = parseFlags(argv.map((a) => (a === '--dry-run' ? '--dry-run=client' : a)), SPEC, 'stop');
  return withApiWarnings(f, io, (warnings) => stopWith(f, io, warnings));
}

async function stopWith(f: ParsedFlags, io: MainIO, warnings: WarningLog): Promise<number> {
  if (f.booleans.has('help')) {
    io.stdout.write(STOP_HELP);
    return 0;
  }
  const dryRunRaw = f.strings.get('dry-run');
  if (dryRunRaw !== undefined && !['client', 'true', 'false', 'none'].includes(dryRunRaw)) {
    throw new UsageError(`--dry-run for stop takes no value (or client); got "${dryRunRaw}"`);
  }
  const dryRun = dryRunRaw === 'client' || dryRunRaw === 'true';
  const all = f.booleans.has('all');
  const allNs = f.booleans.has('all-namespaces');
  const selector = f.strings.get('selector');
  const [podArg, ...named] = f.positional;
  const pod = podArg?.replace(/^(pod|pods|po)\//, '');
  if (all && pod !== undefined) throw new UsageError('stop takes either POD [DEBUGGER...] or --all, not both; see kubectl distroless-debug stop --help');
  if (!all && pod === undefined) throw new UsageError('stop needs a pod (stop POD [DEBUGGER...]) or --all for every debugger in the namespace; see kubectl distroless-debug stop --help');
  if (allNs && !all) throw new UsageError('-A/--all-namespaces goes with --all: stop --all -A stops every running debugger everywhere');
  if (selector !== undefined && !all) throw new UsageError('-l/--selector goes with --all');
  if (pod !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(pod)) throw new UsageError(`"${pod}" cannot be a pod name; check the name`);
  const timeoutMs = Math.ceil(parseDurationFlag(f.strings.get('timeout') ?? '1m', { flag: '--timeout', zero: 'no limit' })) || 24 * 3600_000;
  const quiet = f.booleans.has('quiet');
  const say = (line: string) => {
    if (!quiet) io.stderr.write(`distroless-debug: ${line}\n`);
  };

  if (f.verbose) for (const note of f.notes) io.stderr.write(`${note}\n`);
  const conn = await loadConnection(f.kube, io.env);
  const kube = new KubeClient(conn, f.verbose ? (line) => io.stderr.write(`${line}\n`) : undefined, (t) => warnings.add(t));
  const ns = conn.namespace;
  const scope: Scope = pod !== undefined ? { kind: 'pod', namespace: ns, pod } : allNs ? { kind: 'all' } : { kind: 'namespace', namespace: ns };

  // Which debuggers: running ones of this plugin, or the ones named.
  const rows: DebuggerRow[] = [];
  for await (const page of podPages(kube, scope, selector, 500)) for (const p of page) rows.push(...rowsOf(p));
  rows.sort(compareRows);
  const outcomes: Outcome[] = [];
  let targets: DebuggerRow[];
  if (named.length > 0) {
    targets = [];
    for (const name of named) {
      const row = rows.find((r) => r.name === name);
      if (!row) throw new NotFoundError(`debugger "${name}" not found in pod ${pod} (namespace ${ns}); its debuggers are: ${rows.map((r) => r.name).join(', ') || 'none'}`);
      if (!row.ours) outcomes.push(failed(row, 'not a debugger of this plugin (another tool added it): its processes are unknown, so it cannot be stopped safely'));
      else targets.push(row);
    }
  } else {
    targets = rows.filter((r) => r.ours);
  }
  for (const r of targets) {
    if (r.state.kind === 'exited') outcomes.push({ kind: 'already', row: r, how: `already exited (${r.state.why ?? r.state.reason ?? `code ${r.state.exitCode}`})` });
  }
  // A debugger still being created counts as running: the pod status lags the
  // kubelet by a second or so, and a session may already be using it.
  const running = targets.filter((r) => r.state.kind === 'running' || isStarting(r));
  for (const r of targets) {
    if (r.state.kind === 'waiting' && !isStarting(r)) {
      outcomes.push(failed(r, `it is not running (${r.state.reason}${r.state.message ? `: ${r.state.message}` : ''}); run stop again once it runs`));
    }
  }

  // Stopping is an exec: ask first, per namespace, and say so when it is missing.
  const namespaces = [...new Set(running.map((r) => r.namespace))].sort();
  const allowed = new Map<string, boolean>(
    await Promise.all(namespaces.map(async (n) => [n, await canI(kube, n, { verb: 'create', resource: 'pods', subresource: 'exec' })] as const)),
  );
  const denied = namespaces.filter((n) => !allowed.get(n));
  if (running.length > 0 && denied.length === namespaces.length && outcomes.every((o) => o.kind === 'already')) {
    throw new ForbiddenError(
      `not allowed to stop debuggers in namespace${denied.length > 1 ? 's' : ''} ${denied.map((n) => `"${n}"`).join(', ')}: stopping runs a command in the debugger, which needs "create pods/exec" (RBAC); ask your cluster admin (see the README's RBAC section)`,
    );
  }
  const stoppable = running.filter((r) => allowed.get(r.namespace));
  for (const r of running) if (!allowed.get(r.namespace)) outcomes.push(failed(r, `not allowed: stopping needs "create pods/exec" in namespace "${r.namespace}" (RBAC)`));

  if (dryRun) {
    for (const r of stoppable) io.stdout.write(`would stop ${where(r)}${isStarting(r) ? ' (starting)' : ''}${r.record ? `, opened by ${r.record.openedBy}` : ''}\n`);
    if (stoppable.length === 0) io.stderr.write('No running debuggers to stop.\n');
    return report(outcomes.filter((o) => o.kind !== 'stopped'), io, true);
  }
  if (stoppable.length === 0 && outcomes.length === 0) {
    io.stderr.write(scope.kind === 'pod' ? `No running debuggers in pod ${scope.pod} (namespace ${ns}).\n` : scope.kind === 'all' ? 'No running debuggers found\n' : `No running debuggers found in ${ns} namespace.\n`);
    return 0;
  }

  if (stoppable.length > 0) {
    const why = `${STOPPED_PREFIX} ${await whoAmI(kube, conn.userName)} at ${recordTime(new Date())}`;
    say(`stopping ${stoppable.length} debugger${stoppable.length === 1 ? '' : 's'} (${why})`);
    outcomes.push(...(await inParallel(stoppable, 8, (r) => stopOne(kube, conn, r, why, timeoutMs, say))));
  }
  return report(outcomes, io, false);
}

/** Waiting reasons on the way to running; any other waiting reason (ErrImagePull, CreateContainerError...) is a failure. */
const STARTING_REASONS = new Set(['ContainerCreating', 'PodInitializing']);

function isStarting(r: DebuggerRow): boolean {
  return r.state.kind === 'starting' || (r.state.kind === 'waiting' && STARTING_REASONS.has(r.state.reason));
}

function where(r: DebuggerRow): string {
  return `debugger ${r.name} in pod ${r.pod} (namespace ${r.namespace})`;
}

function failed(row: DebuggerRow, why: string): Outcome {
  return { kind: 'failed', row, name: row.name, where: where(row), why };
}

/** One line per debugger (stdout: done; stderr: not done), then the exit code. */
function report(outcomes: Outcome[], io: MainIO, dryRun: boolean): number {
  const sorted = [...outcomes].sort((a, b) => (a.row && b.row ? compareRows(a.row, b.row) : 0));
  for (const o of sorted) {
    if (o.kind === 'stopped') io.stdout.write(`${where(o.row)} stopped\n`);
    else if (o.kind === 'already') io.stdout.write(`${where(o.row)} ${o.how}\n`);
  }
  const failures = sorted.filter((o): o is Extract<Outcome, { kind: 'failed' }> => o.kind === 'failed');
  for (const o of failures) io.stderr.write(`error: cannot stop ${o.where}: ${o.why}\n`);
  if (failures.length === 0) return 0;
  throw new NotAllStoppedError(
    dryRun
      ? `${failures.length} debugger${failures.length === 1 ? '' : 's'} could not be stopped (see above)`
      : `${failures.length} of ${outcomes.length} debugger${outcomes.length === 1 ? '' : 's'} not stopped (see above)`,
  );
}

/** The stop exec, then the pod's status until the debugger is reported terminated. */
async function stopOne(kube: KubeClient, conn: ClusterConnection, r: DebuggerRow, why: string, timeoutMs: number, say: (l: string) => void): Promise<Outcome> {
  const deadline = Date.now() + timeoutMs;
  if (isStarting(r)) say(`${where(r)} is still starting; stopping it once it runs`);
  try {
    const res = await execWhenStarted(kube, conn, r, ['/bin/sh', '-c', stopScript(), 'distroless-debug-stop', why], deadline, timeoutMs);
    if ('outcome' in res) return res.outcome;
    // Any other code proves nothing: once the main process exits the runtime
    // ends every process of the container, this exec included (137). The
    // status decides.
    if (res.exitCode === STOP_NO_MAIN) {
      const detail = res.stderr.trim().split('\n').pop() || `exit code ${res.exitCode}`;
      return failed(r, detail.replace(/^distroless-debug: /, ''));
    }
  } catch (err) {
    // The exec's stream can break as the container goes away: the status decides.
    say(`${where(r)}: the stop command's stream ended early (${err instanceof Error ? err.message : String(err)}); checking the status`);
  }
  say(`waiting for ${where(r)} to report terminated`);
  let lastSaid = Date.now();
  for (;;) {
    let p: V1Pod | undefined;
    try {
      p = await getPod(kube, r.namespace, r.pod);
    } catch (err) {
      if (err instanceof NotFoundError) return { kind: 'already', row: r, how: 'gone with its pod' };
    }
    const t = p?.status?.ephemeralContainerStatuses?.find((s) => s.name === r.name)?.state?.terminated;
    if (t) {
      const msg = t.message?.trim() ?? '';
      if (msg.startsWith(STOPPED_PREFIX) || t.exitCode === 0) return { kind: 'stopped', row: r };
      return failed(r, `it exited with code ${t.exitCode}${msg ? ` (${msg.split('\n').pop()})` : ''} instead`);
    }
    if (Date.now() >= deadline) return failed(r, `its status did not say terminated within ${formatDuration(timeoutMs)} (--timeout); check it with list, and run stop again`);
    if (Date.now() - lastSaid > 5_000) {
      say(`still waiting for ${where(r)}`);
      lastSaid = Date.now();
    }
    await new Promise((res) => setTimeout(res, 500));
  }
}

/**
 * The stop exec, retried while a debugger that is still being created refuses
 * it ("container not found": nothing ran). Between attempts the status says
 * whether it exited or failed to start instead.
 */
async function execWhenStarted(
  kube: KubeClient,
  conn: ClusterConnection,
  r: DebuggerRow,
  command: string[],
  deadline: number,
  timeoutMs: number,
): Promise<Captured | { outcome: Outcome }> {
  const target = { namespace: r.namespace, pod: r.pod, container: r.name };
  for (;;) {
    try {
      return await execCapture(conn, target, command);
    } catch (err) {
      if (!isStarting(r) || !notStartedYet(err)) throw err;
    }
    let p: V1Pod;
    try {
      p = await getPod(kube, r.namespace, r.pod);
    } catch (err) {
      if (err instanceof NotFoundError) return { outcome: { kind: 'already', row: r, how: 'gone with its pod' } };
      throw err;
    }
    const s = p.status?.ephemeralContainerStatuses?.find((c) => c.name === r.name)?.state;
    if (s?.terminated) return { outcome: { kind: 'already', row: r, how: `already exited (code ${s.terminated.exitCode}${s.terminated.reason ? `, ${s.terminated.reason}` : ''})` } };
    const reason = s?.waiting?.reason;
    if (reason !== undefined && !STARTING_REASONS.has(reason)) return { outcome: failed(r, `it did not start (${reason}${s?.waiting?.message ? `: ${s.waiting.message}` : ''})`) };
    if (Date.now() >= deadline) return { outcome: failed(r, `it did not start within ${formatDuration(timeoutMs)} (--timeout); check it with list, and run stop again`) };
    await new Promise((res) => setTimeout(res, 250));
  }
}
