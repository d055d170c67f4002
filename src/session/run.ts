import { PassThrough } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import type { Options } from '../cli/options.js';
import { DebuggerFailedError, ForbiddenError, TargetUnreachableError } from '../errors.js';
import { loadConnection, redactHeaders } from '../kubeconfig/load.js';
import { canI } from '../kube/access.js';
import { addEphemeralContainer, debuggerState, getPod, namespacePsaLevel, waitForDebugger } from '../kube/pods.js';
import { KubeClient } from '../kube/rest.js';
import { resolvePod } from '../kube/workload.js';
import { describeIdentity, type Identity } from '../plan/identity.js';
import { makePlan, type DebugPlan } from '../plan/plan.js';
import { parseMismatch, promptFor, sessionScript } from '../plan/scripts.js';
import { chooseTarget, describeTargetChoice } from '../plan/target.js';
import type { Emit } from '../progress/events.js';
import { lookupImageUser, needsImageUser } from './image-identity.js';
import { printPlan } from './output.js';
import { streamSession } from './stream.js';

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
    ? await timed('image user', () => lookupImageUser({ kube, pod, target, env: io.env, emit }))
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

  const { plan, container } = await startDebugger({ plan: plan0, pod, kube, options, emit, io, psaLevel, timed });
  return timed('session', () => openSession({ plan, container, kube, conn, options, emit, io }));
}

interface StartInput {
  plan: DebugPlan;
  pod: V1Pod;
  kube: KubeClient;
  options: Options;
  emit: Emit;
  io: RunIO;
  psaLevel: Awaited<ReturnType<typeof namespacePsaLevel>>;
  timed: <T>(phase: string, f: () => Promise<T>) => Promise<T>;
}

/** Adds (or reuses) the debugger and waits until it runs; corrects a wrong identity once. */
async function startDebugger(input: StartInput): Promise<{ plan: DebugPlan; container: string }> {
  const { kube, options, emit, timed } = input;
  let plan = input.plan;
  let pod = input.pod;
  for (let attempt = 0; ; attempt++) {
    if (plan.action.kind === 'reuse') {
      emit({ kind: 'info', text: `reusing debugger ${plan.action.container}, already running in this pod (--new for a fresh one)` });
      return { plan, container: plan.action.container };
    }
    const spec = plan.action.container;
    emit({ kind: 'step', text: `Adding debugger ${spec.name} (${spec.image})` });
    const patched = await timed('patch', () => addEphemeralContainer(kube, plan.namespace, pod, spec, false));
    emit({ kind: 'info', text: `added debugger ${spec.name} (${spec.image})` });
    emit({ kind: 'step', text: `Starting debugger ${spec.name}` });
    const state = await timed('container start', () =>
      waitForDebugger({
        kube,
        ns: plan.namespace,
        pod: patched,
        container: spec.name,
        image: spec.image ?? '',
        timeoutMs: options.timeoutMs,
        onWaiting: (e) => emit({ kind: 'waiting', reason: e.reason, message: e.message }),
      }),
    );
    if (state.kind === 'running') return { plan, container: spec.name };
    const mismatch = parseMismatch(state.message);
    if (!mismatch) {
      throw new DebuggerFailedError(
        `debugger ${spec.name} exited with code ${state.exitCode}${state.message ? `: ${state.message.trim().split('\n').pop()}` : ''}; run with -v for details`,
      );
    }
    if (plan.identity.source === 'flag' || attempt > 0) {
      throw new TargetUnreachableError(
        `cannot open the target's files: it runs as uid ${mismatch.uid} gid ${mismatch.gid}, the debugger ran as uid ${plan.identity.uid} gid ${plan.identity.gid}; ${plan.identity.source === 'flag' ? `use --uid ${mismatch.uid} --gid ${mismatch.gid}` : 'try --profile general'}`,
      );
    }
    const identity: Identity = { uid: mismatch.uid, gid: mismatch.gid, source: 'correction' };
    emit({ kind: 'warn', text: `the target runs as uid ${mismatch.uid} gid ${mismatch.gid}, not ${plan.identity.uid}:${plan.identity.gid}; starting a corrected debugger` });
    pod = state.pod;
    plan = makePlan({ pod, options, psaLevel: input.psaLevel, mode: plan.mode, stdinIsTTY: input.io.stdin.isTTY === true, random: input.io.random, identity });
  }
}

interface SessionInput {
  plan: DebugPlan;
  container: string;
  kube: KubeClient;
  conn: Awaited<ReturnType<typeof loadConnection>>;
  options: Options;
  emit: Emit;
  io: RunIO;
}

async function openSession(input: SessionInput): Promise<number> {
  const { plan, container, kube, io, emit } = input;
  const where = `pod/${plan.pod} (${plan.target.container}) through ${container}`;
  emit({
    kind: 'ready',
    text: plan.session.command.length === 0 ? `shell in ${where}; cwd is the app's root, exit to leave` : `running in ${where}`,
  });
  if (plan.mode === 'exec') {
    const command = ['/bin/sh', '-c', sessionScript(promptFor(plan.pod, plan.target.container)), 'distroless-debug-session', ...plan.session.command];
    const result = await streamSession({ kube, conn: input.conn, plan, container, kind: 'exec', command, io, emit });
    return result ?? 0;
  }
  // attach: the debugger's main process is the session; it waits for a first line.
  const stdin = new PassThrough();
  stdin.write('\n');
  if (plan.session.stdin) io.stdin.pipe(stdin);
  else stdin.end();
  await streamSession({ kube, conn: input.conn, plan, container, kind: 'attach', command: [], io: { ...io, stdin: stdin as unknown as NodeJS.ReadStream }, emit });
  return attachExitCode(kube, plan, container);
}

/** Attach reports no exit code: the container's terminated state holds it. */
async function attachExitCode(kube: KubeClient, plan: DebugPlan, container: string): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const state = debuggerState(await getPod(kube, plan.namespace, plan.pod), container);
    if (state?.terminated) return state.terminated.exitCode;
    await new Promise((r) => setTimeout(r, 200));
  }
  return 0;
}
