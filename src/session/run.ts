import type { V1Pod } from '@kubernetes/client-node';
import { WarningLog } from '../kube/warnings.js';
import type { Options } from '../options.js';
import { ApiError, ConnectionLostError, DebuggerFailedError, ForbiddenError, NotFoundError, NotRunningError, StreamRefusedError, TargetUnreachableError } from '../errors.js';
import { loadConnection, redactHeaders, type ClusterConnection } from '../kubeconfig/load.js';
import { canI } from '../kube/access.js';
import { namespacePsaLevel } from '../kube/pods.js';
import { KubeClient, KubeStatusError } from '../kube/rest.js';
import { resolvePod } from '../kube/workload.js';
import { describeIdentity, type Identity } from '../plan/identity.js';
import { makePlan, sessionShape, unopenable, type DebugPlan, type SessionPlan } from '../plan/plan.js';
import type { DebuggerMode } from '../plan/container.js';
import type { PsaLevel } from '../plan/security.js';
import { targetGoneReason } from '../plan/target-gone.js';
import { chooseTarget, describeTargetChoice } from '../plan/target.js';
import type { Emit } from '../progress/events.js';
import { lookupImageUser, needsImageUser } from './image-identity.js';
import { isRunning } from '../plan/not-running.js';
import { explainNotRunning } from './not-running.js';
import { mayHaveNotRun, openSession } from './open.js';
import { printPlan } from './output.js';
import { ReplayableInput } from './replay-input.js';
import { IdentityMismatch, startDebugger } from './start.js';
import { keeperReportAfterRefusal, stoppedByPerson } from './stopped-debugger.js';
import { readWarm, warmFile, warmKey, writeWarm, type WarmEntry } from './warm-cache.js';
import { warmPathPossible, type HeadStart } from './head-start.js';
import { foreignDebuggerLine, recordTime, type DebuggerRecord } from '../record/record.js';
import { whoAmI } from '../record/whoami.js';
import { recordingEnv, SessionRecorder, setRecorder } from '../record/asciicast.js';
import { version } from '../cli/main.js';

export interface RunIO {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  emit: Emit;
  random: () => number;
}

/** The cluster a run talks to: tests hand in their own. */
export interface RunClient {
  conn: ClusterConnection;
  kube: KubeClient;
  /** The API server's warnings so far (shown as they come; --warnings-as-errors counts them). */
  warnings: WarningLog;
}

type Timed = <T>(phase: string, f: () => Promise<T>) => Promise<T>;

/**
 * What a caller that is not the interactive session (cp) changes about a
 * run; everything else (reuse, identity, checks, retries, signals) is the
 * session's own machinery.
 */
export interface RunHooks {
  /** The caller needs exec (its stream cannot go through attach): the error when only attach is allowed. */
  execOnly?: () => Error;
  /** Piped stdin kept for a retried exec at most this many bytes (ReplayableInput's default otherwise). */
  replayLimit?: number;
}

/** Loads the kubeconfig the kubectl way (or takes what the head start loaded) and opens a client on it. */
export async function connect(options: Options, io: RunIO, timed: Timed, head?: HeadStart): Promise<RunClient> {
  const { emit } = io;
  emit({ kind: 'step', text: 'Loading kubeconfig' });
  // Said once under -v: kubectl flags accepted that cannot apply; the proxy and in-cluster choices.
  for (const text of options.notes ?? []) emit({ kind: 'debug', text });
  const say = (text: string): void => emit({ kind: 'debug', text });
  head?.flushLog(say);
  let conn: ClusterConnection;
  if (head) {
    // Loaded before this code was (head-start.ts): its own duration is the phase's.
    conn = await head.connection;
    emit({ kind: 'timing', phase: 'kubeconfig', ms: Math.round(await head.kubeconfigMs) });
  } else {
    conn = await timed('kubeconfig', () => loadConnection(options.kube, io.env, say));
  }
  if (options.verbose) {
    emit({ kind: 'debug', text: `context ${conn.contextName}, user ${conn.userName}, server ${conn.server}, namespace ${conn.namespace}` });
    const headers = (await conn.requestOptions()).headers;
    if (headers) emit({ kind: 'debug', text: `request headers ${JSON.stringify(redactHeaders(headers as Record<string, unknown>))}` });
  }
  const warnings = new WarningLog((text) => emit({ kind: 'warn', text: `the API server warns: ${text}` }));
  return { conn, kube: new KubeClient(conn, (line) => emit({ kind: 'debug', text: line }), (texts) => warnings.add(texts)), warnings };
}

/**
 * One debugging session, start to end. Returns the exit code. `head` is
 * what the CLI started while this code loaded (head-start.ts).
 */
export async function runDebug(options: Options, io: RunIO, client?: RunClient, hooks: RunHooks = {}, head?: HeadStart): Promise<number> {
  const { emit } = io;
  // From the process' start (Node's time origin): the runtime, loading the plugin's code, parsing flags.
  emit({ kind: 'timing', phase: 'start-up', ms: Math.round(performance.now()) });
  const timed: Timed = async (phase, f) => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      emit({ kind: 'timing', phase, ms: Math.round(performance.now() - t0) });
    }
  };
  // --record: the file is made first, so a path that cannot be written fails before anything changes.
  const recorder = options.record && options.dryRun === 'none' ? startRecording(options, io) : undefined;
  try {
    const active = client ?? (await connect(options, io, timed, head));
    const code = await debugWith(options, io, timed, active, hooks, head?.warm);
    active.warnings.failIfAsked(options.warningsAsErrors === true);
    return code;
  } finally {
    head?.close();
    recorder?.close();
  }
}

function startRecording(options: Options, io: RunIO): SessionRecorder {
  const record = options.record as NonNullable<Options['record']>;
  const tty = io.stdout.isTTY === true;
  const recorder = new SessionRecorder(
    record.file,
    {
      width: (tty && io.stdout.columns) || 80,
      height: (tty && io.stdout.rows) || 24,
      title: `kubectl distroless-debug ${options.ref.kind === 'pod' ? '' : `${options.ref.kind}/`}${options.ref.name}`,
      env: recordingEnv(io.env),
    },
    record.input,
  );
  setRecorder(io.emit, recorder);
  return recorder;
}

async function debugWith(options: Options, io: RunIO, timed: Timed, client: RunClient, hooks: RunHooks, warmLookup?: Promise<WarmEntry | undefined>): Promise<number> {
  const { emit } = io;
  const { conn, kube } = client;
  const ns = conn.namespace;
  if (options.copyTo !== undefined) {
    const { runCopyTo } = await import('./copy-to.js');
    return runCopyTo(options, io, client);
  }

  emit({ kind: 'step', text: `Finding ${options.ref.kind === 'pod' ? 'pod' : options.ref.kind} ${options.ref.name}` });
  // Read once, when first needed: on the warm path only if the remembered
  // debugger cannot serve (or the session died with its target), so the
  // exec has the connection and the CPU to itself, like `kubectl exec`.
  let read: Promise<V1Pod> | undefined;
  const podRead = (): Promise<V1Pod> => (read ??= timed('pod get', () => resolvePod(kube, ns, options.ref)));
  // Per user too: whose debugger it is (the record line) depends on who asks.
  const cache = { file: warmFile(io.env), key: warmKey(`${conn.server}#${conn.userName}#${options.kube.as ?? ''}`, ns, options) };
  const warm = warmPathPossible(options) ? await (warmLookup ?? readWarm(cache.file, cache.key)) : undefined;
  // Piped input outlives a refused attempt, a remembered debugger that is gone
  // and a corrected debugger: one replayable copy for the whole run.
  const replay = options.dryRun === 'none' && sessionShape(options, io.stdin.isTTY === true).stdin && !io.stdin.isTTY ? new ReplayableInput(io.stdin, hooks.replayLimit) : undefined;
  // Who we are (for a new debugger's record, and to say whose debugger a
  // reused one is): asked only once the pod proved debuggable.
  let me: Promise<string> | undefined;
  const self = (): Promise<string> => (me ??= whoAmI(kube, conn.userName));
  try {
    if (warm) {
      const code = await tryWarm({ warm, podRead, kube, conn, options, io, timed, replay, self, hooks });
      if (code !== undefined) return code;
    }
    return await debugPod({ pod: await podRead(), kube, conn, options, io, timed, replay, cache, self, hooks });
  } finally {
    replay?.close();
  }
}

interface Ctx {
  kube: KubeClient;
  conn: ClusterConnection;
  options: Options;
  io: RunIO;
  timed: Timed;
  replay: ReplayableInput | undefined;
  /** Who the API server says we are; memoized, never rejects. */
  self: () => Promise<string>;
  hooks: RunHooks;
}

/**
 * The remembered debugger, at once: the exec opens before the pod is read.
 * Returns undefined when that debugger cannot serve (gone, exited, exec
 * denied): the refusal proves nothing ran, and the ordinary path follows.
 */
async function tryWarm(input: Ctx & { warm: WarmEntry; podRead: () => Promise<V1Pod> }): Promise<number | undefined> {
  const { warm, kube, conn, options, io, timed } = input;
  const ns = conn.namespace;
  const plan: SessionPlan = { namespace: ns, pod: options.ref.name, mode: 'exec', target: { container: warm.target }, session: sessionShape(options, io.stdin.isTTY === true) };
  io.emit({ kind: 'debug', text: `remembered debugger ${warm.debugger} for these options; opening it directly` });
  // Said only once the debugger answers: if it cannot serve, another runs.
  let said = false;
  const startedAt = Date.now();
  const announce = () => {
    if (said) return;
    said = true;
    io.emit({ kind: 'info', text: `pod/${plan.pod}: container ${warm.target}` });
    if (warm.identity && warm.profile) io.emit({ kind: 'info', text: `debugger runs as ${describeIdentity(warm.identity)}, profile ${warm.profile}` });
    io.emit({ kind: 'info', text: `reusing debugger ${warm.debugger}, already running in this pod (--new for a fresh one)` });
    if (warm.foreign) io.emit({ kind: 'info', text: warm.foreign });
  };
  try {
    const code = await timed('session', () =>
      openSession({ plan, container: warm.debugger, running: undefined, kube, conn, options, emit: io.emit, io, replay: input.replay, announce }),
    );
    announce();
    if (code === KILLED) {
      const before = await input.podRead().catch(() => undefined);
      if (before) await throwIfTargetGone(kube, before, plan, 4000);
      const stopped = await stoppedByPerson(kube, ns, plan.pod, warm.debugger);
      if (stopped) throw stopped;
    }
    return code;
  } catch (err) {
    if (!refusedBeforeRunning(err) && !(said === false && (await stoppedBefore(kube, ns, options.ref.name, warm.debugger, startedAt, err))) && !(await execDenied(kube, ns, err))) throw err;
    io.emit({ kind: 'debug', text: `remembered debugger ${warm.debugger} cannot serve (${err instanceof Error ? err.message : String(err)}); planning afresh` });
    return undefined;
  }
}

/**
 * A stream to the remembered debugger that broke before any output (the API
 * server may drop it, close code 1006, instead of refusing with a status when
 * piped input is already flowing) is a refusal too when that debugger had
 * already exited before this run began: nothing can have run in it.
 */
async function stoppedBefore(kube: KubeClient, ns: string, pod: string, container: string, startedAt: number, err: unknown): Promise<boolean> {
  if (!(err instanceof ConnectionLostError)) return false;
  // Bounded: on a network that is really gone this read must not delay the 75 by a connection timeout.
  const read = await kube.get<V1Pod>(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}`, undefined, 2000).catch(() => undefined);
  const state = read?.status?.ephemeralContainerStatuses?.find((s) => s.name === container)?.state;
  const finished = state?.terminated?.finishedAt as unknown;
  const at = finished instanceof Date ? finished.getTime() : typeof finished === 'string' ? Date.parse(finished) : Number.NaN;
  return state?.terminated !== undefined && at < startedAt;
}

/** 128 + SIGKILL: what every process in a PID namespace gets when its init (the target) dies. */
const KILLED = 137;

/** Failures the target's exit or the pod's deletion would cause. */
function mayBeTargetGone(err: unknown): boolean {
  // Not a lost connection: asking a silent API server would only add its wait.
  return err instanceof DebuggerFailedError || err instanceof StreamRefusedError || err instanceof NotFoundError;
}

/**
 * The exec was refused because RBAC denies it (the warm path execs without
 * asking first). A refused WebSocket upgrade does not always say 403 (the
 * server may just close), so a failed opening is checked with an access review.
 */
async function execDenied(kube: KubeClient, ns: string, err: unknown): Promise<boolean> {
  if (err instanceof ForbiddenError && /pods\/exec/.test(err.message)) return true;
  if (!(err instanceof ApiError || err instanceof StreamRefusedError || err instanceof ForbiddenError || err instanceof ConnectionLostError)) return false;
  return !(await canI(kube, ns, { verb: 'create', resource: 'pods', subresource: 'exec' }).catch(() => true));
}

/**
 * An exec refusal that proves the remembered debugger ran nothing: the API
 * server or kubelet refused the stream (gone, exited, or a pod recreated
 * under the same name: "not valid for pod"), or the pod is not there.
 */
function refusedBeforeRunning(err: unknown): boolean {
  return err instanceof NotFoundError || err instanceof ForbiddenError || err instanceof StreamRefusedError;
}

/** Plans against the pod, adds or reuses the debugger, runs the session. */
async function debugPod(input: Ctx & { pod: V1Pod; cache: { file: string; key: string } }): Promise<number> {
  const { pod, kube, conn, options, io, timed, replay, hooks } = input;
  const { emit } = io;
  const ns = conn.namespace;
  const target = chooseTarget(pod, options.container);
  // A target that is not running is refused below: first say why (its last exit and log).
  if (!isRunning(pod, target.container)) await explainNotRunning(kube, pod, target.container, emit);
  const imageUser = needsImageUser(pod, target, options.uid)
    ? await timed('image user', () => lookupImageUser({ kube, pod, target, env: io.env, emit, ...(options.pullSecrets === false ? { pullSecrets: false } : {}) }))
    : undefined;
  let record: DebuggerRecord | undefined;
  const planFor = (mode: DebuggerMode, psaLevel: PsaLevel | undefined, identity?: Identity, from: V1Pod = pod) =>
    makePlan({ pod: from, options, psaLevel, mode, stdinIsTTY: io.stdin.isTTY === true, random: io.random, imageUser, identity, record });

  // The warm path (a debugger to reuse) goes straight to the exec, like
  // `kubectl exec`: the checks below only matter before adding a container,
  // and a refused exec says the rest.
  let plan = planFor('exec', undefined);
  const announce = (p: DebugPlan) => {
    emit({ kind: 'info', text: `pod/${p.pod}: ${describeTargetChoice(p.target)}` });
    emit({ kind: 'info', text: `debugger runs as ${describeIdentity(p.identity)}, profile ${p.profile}` });
  };
  let psaLevel: PsaLevel | undefined;
  if (plan.action.kind === 'create' || options.dryRun !== 'none') {
    const made = newRecord(input.self, options.reason);
    ({ plan, psaLevel } = await checkBeforeCreate(kube, ns, options, plan, planFor, emit, timed, hooks));
    // planFor reads it from here on (a corrected or attach debugger carries it too).
    record = await made;
    plan = planFor(plan.mode, psaLevel);
  }
  announce(plan);
  let foreign: string | undefined;
  if (plan.action.kind === 'reuse' && plan.action.record) foreign = foreignDebuggerLine(plan.action.container, plan.action.record, await input.self());
  if (options.dryRun !== 'none') return printPlan({ plan, options, kube, pod, emit, stdout: io.stdout });

  for (let round = 0; ; round++) {
    const { container, running, stop, joined } = await startDebugger({ plan, pod, kube, options, emit, timed });
    try {
      // A debugger someone else opened: one line says whose it is.
      if (joined) foreign = foreignDebuggerLine(container, joined, await input.self());
      if (foreign) emit({ kind: 'info', text: foreign });
      // Remembered for the next run only once the debugger surely runs: the
      // warm path execs without waiting or retrying, so a concurrent run that
      // found a debugger still starting there lost its stream (exit 75).
      let remembered: Promise<void> | undefined;
      const remember = (): Promise<void> =>
        plan.mode !== 'exec'
          ? Promise.resolve()
          : (remembered ??= writeWarm(input.cache.file, input.cache.key, {
              debugger: container,
              target: plan.target.container,
              identity: plan.identity,
              profile: plan.profile,
              ...(foreign ? { foreign } : {}),
            }));
      if (running) running.then(() => void remember(), () => undefined);
      else void remember();
      const code = await timed('session', () => openSession({ plan, container, running, kube, conn, options, emit, io, replay }));
      // A session that ran proves the debugger runs, even before its status says so.
      if (!mayHaveNotRun(code)) await remember();
      // SIGKILLed: perhaps with the target (its PID namespace went away).
      if (code === KILLED) {
        await throwIfTargetGone(kube, pod, plan, 4000);
        // Or `stop` ended the debugger before the session could register (nothing ran).
        const stopped = await stoppedByPerson(kube, ns, plan.pod, container);
        if (stopped) throw stopped;
      }
      return code;
    } catch (err) {
      if (plan.mode === 'exec' && plan.action.kind === 'reuse' && (await execDenied(kube, ns, err))) {
        // Exec is denied here: a debugger whose main process is the session.
        ({ plan, psaLevel } = await checkBeforeCreate(kube, ns, options, planFor('attach', psaLevel), planFor, emit, timed, hooks));
        continue;
      }
      // A refused exec may hide the keeper's report (stopped-debugger.ts).
      if (!(err instanceof IdentityMismatch) && plan.mode === 'exec') err = (await keeperReportAfterRefusal(kube, ns, plan.pod, container, plan.target.container, err)) ?? err;
      if (!(err instanceof IdentityMismatch)) {
        if (mayBeTargetGone(err)) await throwIfTargetGone(kube, pod, plan);
        throw err;
      }
      const { uid, gid } = err.mismatch;
      if (uid === plan.identity.uid && gid === plan.identity.gid) throw unopenable(uid, gid);
      if (plan.identity.source === 'flag' || plan.identity.source === 'profile' || round > 0) {
        throw new TargetUnreachableError(
          `cannot open the target's files: it runs as uid ${uid} gid ${gid}, the debugger ran as uid ${plan.identity.uid} gid ${plan.identity.gid}; ${plan.identity.source === 'flag' ? `use --uid ${uid} --gid ${gid}` : 'try --profile general'}`,
        );
      }
      // The session never ran anything (the keeper's check failed first), so
      // starting over with the target's real identity is safe.
      emit({ kind: 'warn', text: `the target runs as uid ${uid} gid ${gid}, not ${plan.identity.uid}:${plan.identity.gid}; starting a corrected debugger` });
      plan = planFor(plan.mode, psaLevel, { uid, gid, source: 'correction' }, err.pod);
    } finally {
      stop();
    }
  }
}

/** This run's record for a debugger it adds: who (the API server's word), when, which version, why. */
async function newRecord(self: () => Promise<string>, reason: string | undefined): Promise<DebuggerRecord> {
  const openedAt = recordTime(new Date());
  return { openedBy: await self(), openedAt, version: version(), ...(reason ? { reason } : {}) };
}

/**
 * Before a container is added (it can never be removed): the namespace's Pod
 * Security level and the RBAC the session needs, read in parallel, then the
 * plan made again with what they say (attach when exec is denied).
 */
async function checkBeforeCreate(
  kube: KubeClient,
  ns: string,
  options: Options,
  plan: DebugPlan,
  planFor: (mode: DebuggerMode, psa: PsaLevel | undefined) => DebugPlan,
  emit: Emit,
  timed: Timed,
  hooks: RunHooks = {},
): Promise<{ plan: DebugPlan; psaLevel: PsaLevel | undefined }> {
  const [psaLevel, canPatch, canExec, canAttach] = await timed('checks', () =>
    Promise.all([
      options.profile === 'auto' || options.profile === 'general' ? namespacePsaLevel(kube, ns) : Promise.resolve(undefined),
      canI(kube, ns, { verb: 'patch', resource: 'pods', subresource: 'ephemeralcontainers' }),
      canI(kube, ns, { verb: 'create', resource: 'pods', subresource: 'exec' }),
      canI(kube, ns, { verb: 'create', resource: 'pods', subresource: 'attach' }),
    ]),
  );
  const mode: DebuggerMode = canExec && plan.mode === 'exec' ? 'exec' : 'attach';
  if (mode === 'attach' && hooks.execOnly) throw hooks.execOnly();
  if (mode === 'attach') emit({ kind: 'info', text: 'exec is not allowed here (create pods/exec); attaching to the debugger instead' });
  const next = planFor(mode, psaLevel);
  if (options.dryRun === 'none') {
    const missing = [
      ...(next.action.kind === 'create' && !canPatch ? ['"patch pods/ephemeralcontainers"'] : []),
      ...(!canExec && !canAttach ? ['"create pods/exec" (or at least "create pods/attach")'] : []),
    ];
    if (missing.length > 0) {
      throw new ForbiddenError(
        `not allowed to debug pods in namespace "${ns}" (RBAC: missing ${missing.join(' and ')}); ask your cluster admin (see the README's RBAC section)`,
      );
    }
  }
  return { plan: next, psaLevel };
}

/**
 * A session that died with its target says so, with the target's own reason.
 * The kubelet reports the target's exit up to a PLEG period (~1 s) late, so a
 * session killed by a signal (the PID namespace went away) watches for it a
 * little while; other failures read the pod once. Bounded either way: a lost
 * connection must not become a hang.
 */
async function throwIfTargetGone(kube: KubeClient, before: V1Pod, plan: SessionPlan, patienceMs = 0): Promise<void> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const read = kube.get<V1Pod>(`/api/v1/namespaces/${encodeURIComponent(plan.namespace)}/pods/${encodeURIComponent(plan.pod)}`).then(
      (p) => p,
      (err: unknown) => (err instanceof KubeStatusError && err.statusCode === 404 ? undefined : before),
    );
    let timer: NodeJS.Timeout | undefined;
    const after = await Promise.race([read, new Promise<V1Pod>((r) => (timer = setTimeout(() => r(before), 1500)))]);
    clearTimeout(timer);
    const reason = targetGoneReason(before, after, plan.target.container);
    if (reason) throw new NotRunningError(reason);
    if (after === before || Date.now() >= deadline) return;
    await new Promise((r) => setTimeout(r, 300));
  }
}
