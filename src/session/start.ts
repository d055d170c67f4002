import type { V1Pod } from '@kubernetes/client-node';
import type { Options } from '../cli/options.js';
import { DebuggerFailedError, TargetUnreachableError } from '../errors.js';
import { addEphemeralContainer, waitForDebugger, type DebuggerState, type namespacePsaLevel } from '../kube/pods.js';
import type { KubeClient } from '../kube/rest.js';
import type { Identity } from '../plan/identity.js';
import { makePlan, type DebugPlan } from '../plan/plan.js';
import { parseMismatch } from '../plan/scripts.js';
import type { Emit } from '../progress/events.js';
import type { RunIO } from './run.js';

export interface StartInput {
  plan: DebugPlan;
  pod: V1Pod;
  kube: KubeClient;
  options: Options;
  emit: Emit;
  io: RunIO;
  psaLevel: Awaited<ReturnType<typeof namespacePsaLevel>>;
  timed: <T>(phase: string, f: () => Promise<T>) => Promise<T>;
}

export interface StartedDebugger {
  plan: DebugPlan;
  container: string;
  /** Settles when the kubelet reports the debugger running (rejects if it cannot start); undefined when it already runs. */
  running: Promise<void> | undefined;
  /** Stops watching the debugger's status. */
  stop: () => void;
}

// Identities that come from the cluster itself cannot be wrong in a way the
// keeper would have to correct, so sessions may start before the kubelet
// reports the debugger running (its status lags up to a PLEG period, ~1 s).
const TRUSTED: ReadonlySet<Identity['source']> = new Set(['flag', 'status', 'container-securityContext', 'pod-securityContext']);

/**
 * Adds (or reuses) the debugger. With a trusted identity in exec mode it
 * returns right after the patch and the session races the kubelet's status;
 * otherwise it waits until the debugger runs, correcting a wrong identity once.
 */
export async function startDebugger(input: StartInput): Promise<StartedDebugger> {
  const { kube, options, emit, timed } = input;
  const watching = new AbortController();
  const stop = () => watching.abort();
  let plan = input.plan;
  let pod = input.pod;
  for (let attempt = 0; ; attempt++) {
    if (plan.action.kind === 'reuse') {
      emit({ kind: 'info', text: `reusing debugger ${plan.action.container}, already running in this pod (--new for a fresh one)` });
      return { plan, container: plan.action.container, running: undefined, stop };
    }
    const spec = plan.action.container;
    emit({ kind: 'step', text: `Adding debugger ${spec.name} (${spec.image})` });
    const patched = await timed('patch', () => addEphemeralContainer(kube, plan.namespace, pod, spec, false));
    emit({ kind: 'info', text: `added debugger ${spec.name} (${spec.image})` });
    emit({ kind: 'step', text: `Starting debugger ${spec.name}` });
    const watch = timed('container start', () =>
      waitForDebugger({
        kube,
        ns: plan.namespace,
        pod: patched,
        container: spec.name,
        image: spec.image ?? '',
        timeoutMs: options.timeoutMs,
        onWaiting: (e) => emit({ kind: 'waiting', reason: e.reason, message: e.message }),
        signal: watching.signal,
      }),
    );
    if (plan.mode === 'exec' && TRUSTED.has(plan.identity.source)) {
      const running = watch.then((state) => {
        if (state.kind !== 'running') throw stoppedError(spec.name, state, plan.identity);
      });
      running.catch(() => undefined); // observed by the session; never unhandled
      return { plan, container: spec.name, running, stop };
    }
    const state = await watch;
    if (state.kind === 'running') return { plan, container: spec.name, running: undefined, stop };
    const mismatch = parseMismatch(state.message);
    if (!mismatch || plan.identity.source === 'flag' || attempt > 0) throw stoppedError(spec.name, state, plan.identity);
    const identity: Identity = { uid: mismatch.uid, gid: mismatch.gid, source: 'correction' };
    emit({ kind: 'warn', text: `the target runs as uid ${mismatch.uid} gid ${mismatch.gid}, not ${plan.identity.uid}:${plan.identity.gid}; starting a corrected debugger` });
    pod = state.pod;
    plan = makePlan({ pod, options, psaLevel: input.psaLevel, mode: plan.mode, stdinIsTTY: input.io.stdin.isTTY === true, random: input.io.random, identity });
  }
}

function stoppedError(name: string, state: Extract<DebuggerState, { kind: 'terminated' }>, identity: Identity): Error {
  const mismatch = parseMismatch(state.message);
  if (mismatch) {
    return new TargetUnreachableError(
      `cannot open the target's files: it runs as uid ${mismatch.uid} gid ${mismatch.gid}, the debugger ran as uid ${identity.uid} gid ${identity.gid}; ${identity.source === 'correction' ? 'try --profile general' : `use --uid ${mismatch.uid} --gid ${mismatch.gid}`}`,
    );
  }
  return new DebuggerFailedError(
    `debugger ${name} exited with code ${state.exitCode}${state.message ? `: ${state.message.trim().split('\n').pop()}` : ''}; run with -v for details`,
  );
}
