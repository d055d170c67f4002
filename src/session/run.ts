import type { Options } from '../options.js';
import { ForbiddenError, TargetUnreachableError } from '../errors.js';
import { loadConnection, redactHeaders } from '../kubeconfig/load.js';
import { canI } from '../kube/access.js';
import { namespacePsaLevel } from '../kube/pods.js';
import { KubeClient } from '../kube/rest.js';
import { resolvePod } from '../kube/workload.js';
import { describeIdentity, type Identity } from '../plan/identity.js';
import { makePlan } from '../plan/plan.js';
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

/** One debugging session, start to end. Returns the exit code. */
export async function runDebug(options: Options, io: RunIO): Promise<number> {
  const { emit } = io;
  const timed = async <T>(phase: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      emit({ kind: 'timing', phase, ms: Math.round(performance.now() - t0) });
    }
  };

  emit({ kind: 'step', text: 'Loading kubeconfig' });
  const conn = await timed('kubeconfig', () => loadConnection(options.kube, io.env));
  const verboseLog = (line: string) => emit({ kind: 'debug', text: line });
  if (options.verbose) {
    emit({ kind: 'debug', text: `context ${conn.contextName}, user ${conn.userName}, server ${conn.server}, namespace ${conn.namespace}` });
    const headers = (await conn.requestOptions()).headers;
    if (headers) emit({ kind: 'debug', text: `request headers ${JSON.stringify(redactHeaders(headers as Record<string, unknown>))}` });
  }
  const kube = new KubeClient(conn, verboseLog);
  const ns = conn.namespace;

  emit({ kind: 'step', text: `Finding ${options.ref.kind === 'pod' ? 'pod' : options.ref.kind} ${options.ref.name}` });
  // Independent reads in parallel: they decide everything before any change.
  const [pod, psaLevel, canPatch, canExec, canAttach] = await timed('pod get', () =>
    Promise.all([
      resolvePod(kube, ns, options.ref),
      options.profile === 'auto' ? namespacePsaLevel(kube, ns) : Promise.resolve(undefined),
      canI(kube, ns, { verb: 'patch', resource: 'pods', subresource: 'ephemeralcontainers' }),
      canI(kube, ns, { verb: 'create', resource: 'pods', subresource: 'exec' }),
      canI(kube, ns, { verb: 'create', resource: 'pods', subresource: 'attach' }),
    ]),
  );
  const mode = canExec ? 'exec' : 'attach';
  if (mode === 'attach') emit({ kind: 'info', text: 'exec is not allowed here (create pods/exec); attaching to the debugger instead' });

  const target = chooseTarget(pod, options.container);
  const imageUser = needsImageUser(pod, target, options.uid)
    ? await timed('image user', () => lookupImageUser({ kube, pod, target, env: io.env, emit, ...(options.pullSecrets === false ? { pullSecrets: false } : {}) }))
    : undefined;
  const plan0 = makePlan({ pod, options, psaLevel, mode, stdinIsTTY: io.stdin.isTTY === true, random: io.random, imageUser });
  emit({ kind: 'info', text: `pod/${plan0.pod}: ${describeTargetChoice(plan0.target)}` });
  emit({ kind: 'info', text: `debugger runs as ${describeIdentity(plan0.identity)}, profile ${plan0.profile}` });

  if (options.dryRun !== 'none') {
    return printPlan({ plan: plan0, options, kube, pod, emit, stdout: io.stdout });
  }
  const missing = [
    ...(plan0.action.kind === 'create' && !canPatch ? ['"patch pods/ephemeralcontainers"'] : []),
    ...(!canExec && !canAttach ? ['"create pods/exec" (or at least "create pods/attach")'] : []),
  ];
  if (missing.length > 0) {
    throw new ForbiddenError(
      `not allowed to debug pods in namespace "${ns}" (RBAC: missing ${missing.join(' and ')}); ask your cluster admin (see the README's RBAC section)`,
    );
  }

  let plan = plan0;
  for (let round = 0; ; round++) {
    const { container, running, stop } = await startDebugger({ plan, pod, kube, options, emit, timed });
    try {
      return await timed('session', () => openSession({ plan, container, running, kube, conn, options, emit, io }));
    } catch (err) {
      if (!(err instanceof IdentityMismatch)) throw err;
      const { uid, gid } = err.mismatch;
      if (plan.identity.source === 'flag' || round > 0) {
        throw new TargetUnreachableError(
          `cannot open the target's files: it runs as uid ${uid} gid ${gid}, the debugger ran as uid ${plan.identity.uid} gid ${plan.identity.gid}; ${plan.identity.source === 'flag' ? `use --uid ${uid} --gid ${gid}` : 'try --profile general'}`,
        );
      }
      // The session never ran anything (the keeper's check failed first), so
      // starting over with the target's real identity is safe.
      emit({ kind: 'warn', text: `the target runs as uid ${uid} gid ${gid}, not ${plan.identity.uid}:${plan.identity.gid}; starting a corrected debugger` });
      const identity: Identity = { uid, gid, source: 'correction' };
      plan = makePlan({ pod: err.pod, options, psaLevel, mode, stdinIsTTY: io.stdin.isTTY === true, random: io.random, identity });
    } finally {
      stop();
    }
  }
}
