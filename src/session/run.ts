import type { V1Pod } from '@kubernetes/client-node';
import type { Options } from '../options.js';
import { ForbiddenError, NotRunningError, TargetUnreachableError, UsageError } from '../errors.js';
import { loadConnection, redactHeaders, type ClusterConnection } from '../kubeconfig/load.js';
import { canI } from '../kube/access.js';
import { namespacePsaLevel } from '../kube/pods.js';
import { KubeClient, KubeStatusError } from '../kube/rest.js';
import { resolvePod } from '../kube/workload.js';
import { describeIdentity, type Identity } from '../plan/identity.js';
import { makePlan, unopenable, type DebugPlan } from '../plan/plan.js';
import type { DebuggerMode } from '../plan/container.js';
import type { PsaLevel } from '../plan/security.js';
import { targetGoneReason } from '../plan/target-gone.js';
import { chooseTarget, describeTargetChoice } from '../plan/target.js';
import type { Emit } from '../progress/events.js';
import { lookupImageUser, needsImageUser } from './image-identity.js';
import { openSession } from './open.js';
import { printPlan } from './output.js';
import { IdentityMismatch, startDebugger } from './start.js';

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
}

type Timed = <T>(phase: string, f: () => Promise<T>) => Promise<T>;

/** Loads the kubeconfig the kubectl way and opens a client on it. */
export async function connect(options: Options, io: RunIO, timed: Timed): Promise<RunClient> {
  const { emit } = io;
  emit({ kind: 'step', text: 'Loading kubeconfig' });
  const conn = await timed('kubeconfig', () => loadConnection(options.kube, io.env));
  if (options.verbose) {
    emit({ kind: 'debug', text: `context ${conn.contextName}, user ${conn.userName}, server ${conn.server}, namespace ${conn.namespace}` });
    const headers = (await conn.requestOptions()).headers;
    if (headers) emit({ kind: 'debug', text: `request headers ${JSON.stringify(redactHeaders(headers as Record<string, unknown>))}` });
  }
  return { conn, kube: new KubeClient(conn, (line) => emit({ kind: 'debug', text: line })) };
}

/** One debugging session, start to end. Returns the exit code. */
export async function runDebug(options: Options, io: RunIO, client?: RunClient): Promise<number> {
  const { emit } = io;
  const timed: Timed = async (phase, f) => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      emit({ kind: 'timing', phase, ms: Math.round(performance.now() - t0) });
    }
  };
  const { conn, kube } = client ?? (await connect(options, io, timed));
  const ns = conn.namespace;

  emit({ kind: 'step', text: `Finding ${options.ref.kind === 'pod' ? 'pod' : options.ref.kind} ${options.ref.name}` });
  const pod = await timed('pod get', () => resolvePod(kube, ns, options.ref));
  const target = chooseTarget(pod, options.container);
  const imageUser = needsImageUser(pod, target, options.uid)
    ? await timed('image user', () => lookupImageUser({ kube, pod, target, env: io.env, emit }))
    : undefined;
  const planFor = (mode: DebuggerMode, psaLevel: PsaLevel | undefined, identity?: Identity, from: V1Pod = pod) =>
    makePlan({ pod: from, options, psaLevel, mode, stdinIsTTY: io.stdin.isTTY === true, random: io.random, imageUser, identity });

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
    ({ plan, psaLevel } = await checkBeforeCreate(kube, ns, options, plan, planFor, emit, timed));
  }
  announce(plan);
  if (options.dryRun !== 'none') return printPlan({ plan, options, kube, pod, emit, stdout: io.stdout });

  for (let round = 0; ; round++) {
    const { container, running, stop } = await startDebugger({ plan, pod, kube, options, emit, timed });
    try {
      const code = await timed('session', () => openSession({ plan, container, running, kube, conn, options, emit, io }));
      // Killed by a signal: perhaps with the target (its PID namespace died).
      if (code >= 128) await throwIfTargetGone(kube, pod, plan, 4000);
      return code;
    } catch (err) {
      if (err instanceof ForbiddenError && plan.mode === 'exec' && plan.action.kind === 'reuse' && /pods\/exec/.test(err.message)) {
        // Exec is denied here: a debugger whose main process is the session.
        ({ plan, psaLevel } = await checkBeforeCreate(kube, ns, options, planFor('attach', psaLevel), planFor, emit, timed));
        continue;
      }
      if (!(err instanceof IdentityMismatch)) {
        if (!(err instanceof UsageError)) await throwIfTargetGone(kube, pod, plan);
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
async function throwIfTargetGone(kube: KubeClient, before: V1Pod, plan: DebugPlan, patienceMs = 0): Promise<void> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const read = kube.get<V1Pod>(`/api/v1/namespaces/${encodeURIComponent(plan.namespace)}/pods/${encodeURIComponent(plan.pod)}`).then(
      (p) => p,
      (err: unknown) => (err instanceof KubeStatusError && err.statusCode === 404 ? undefined : before),
    );
    let timer: NodeJS.Timeout | undefined;
    const after = await Promise.race([read, new Promise<V1Pod>((r) => (timer = setTimeout(() => r(before), 3000)))]);
    clearTimeout(timer);
    const reason = targetGoneReason(before, after, plan.target.container);
    if (reason) throw new NotRunningError(reason);
    if (after === before || Date.now() >= deadline) return;
    await new Promise((r) => setTimeout(r, 300));
  }
}
