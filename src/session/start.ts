import type { V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import type { Options } from '../options.js';
import { DebuggerFailedError } from '../errors.js';
import { addEphemeralContainer, getPod, waitForDebugger, type DebuggerState } from '../kube/pods.js';
import { KubeStatusError, type KubeClient } from '../kube/rest.js';
import { readRecord, type DebuggerRecord } from '../record/record.js';
import { sameDebugger } from '../plan/reuse.js';
import type { DebugPlan } from '../plan/plan.js';
import { parseMismatch, STOPPED_PREFIX, type Mismatch } from '../plan/scripts.js';
import type { Emit } from '../progress/events.js';

export interface StartInput {
  plan: DebugPlan;
  pod: V1Pod;
  kube: KubeClient;
  options: Options;
  emit: Emit;
  timed: <T>(phase: string, f: () => Promise<T>) => Promise<T>;
}

export interface StartedDebugger {
  container: string;
  /**
   * Settles when the kubelet reports the debugger running; rejects when it
   * cannot start (pull error, timeout) or its keeper found the wrong identity
   * (IdentityMismatch). Undefined when the debugger already runs.
   */
  running: Promise<void> | undefined;
  /** Stops watching the debugger's status. */
  stop: () => void;
  /**
   * Set when a concurrent run added this same debugger first (under its own
   * record): the record of the debugger this run joined.
   */
  joined?: DebuggerRecord | undefined;
}

/** The keeper could not open the target's root and reported who the target really is. */
export class IdentityMismatch extends Error {
  constructor(
    readonly mismatch: Mismatch,
    readonly pod: V1Pod,
  ) {
    super(`the target runs as uid ${mismatch.uid} gid ${mismatch.gid}`);
  }
}

/**
 * Adds (or reuses) the debugger and returns at once: the session does not
 * wait for the kubelet's status (which lags up to a PLEG period, ~1 s), it
 * races it. That is safe because a session runs nothing until the keeper has
 * proved it can open the target's root.
 */
export async function startDebugger(input: StartInput): Promise<StartedDebugger> {
  const { kube, options, emit, timed, plan } = input;
  const watching = new AbortController();
  const stop = () => watching.abort();
  const watch = (pod: V1Pod, name: string, image: string): Promise<void> => {
    const running = timed('container start', () =>
      waitForDebugger({
        kube,
        ns: plan.namespace,
        pod,
        container: name,
        image,
        timeoutMs: options.timeoutMs,
        onWaiting: (e) => emit({ kind: 'waiting', reason: e.reason, message: e.message }),
        signal: watching.signal,
      }),
    ).then((state) => {
      if (state.kind !== 'running') throw stoppedError(name, state);
    });
    running.catch(() => undefined); // observed by the session; never unhandled
    return running;
  };
  if (plan.action.kind === 'reuse') {
    const { container, state } = plan.action;
    if (state === 'running') {
      emit({ kind: 'info', text: `reusing debugger ${container}, already running in this pod (--new for a fresh one)` });
      return { container, running: undefined, stop };
    }
    // Added by an earlier or concurrent run and not reported running yet:
    // one more debugger would be permanent, so wait for this one.
    emit({ kind: 'info', text: `reusing debugger ${container}, still starting in this pod (--new for a fresh one)` });
    emit({ kind: 'step', text: `Waiting for debugger ${container}` });
    return { container, running: watch(input.pod, container, options.image), stop };
  }
  const spec = plan.action.container;
  emit({ kind: 'step', text: `Adding debugger ${spec.name} (${spec.image})` });
  let patched: V1Pod;
  try {
    patched = await timed('patch', () => addEphemeralContainer(kube, plan.namespace, input.pod, spec, false));
  } catch (err) {
    // A concurrent run added a debugger of this name first: the same debugger
    // under another record (who/when differ, so the patch would "change" it).
    const pod = await addedMeanwhile(err, input, spec);
    if (!pod) throw err;
    const joined = readRecord(pod.spec?.ephemeralContainers?.find((c) => c.name === spec.name) ?? {});
    emit({ kind: 'info', text: `reusing debugger ${spec.name}, just added by another run (--new for a fresh one)` });
    emit({ kind: 'step', text: `Waiting for debugger ${spec.name}` });
    return { container: spec.name, running: watch(pod, spec.name, spec.image ?? ''), stop, ...(joined ? { joined } : {}) };
  }
  emit({ kind: 'info', text: `added debugger ${spec.name} (${spec.image})` });
  emit({ kind: 'step', text: `Starting debugger ${spec.name}` });
  return { container: spec.name, running: watch(patched, spec.name, spec.image ?? ''), stop };
}

/**
 * The pod as it is now, when the patch failed only because a debugger of the
 * same name and the same spec (its record aside) is already there.
 */
async function addedMeanwhile(err: unknown, input: StartInput, spec: V1EphemeralContainer): Promise<V1Pod | undefined> {
  const cause = err instanceof Error && err.cause instanceof KubeStatusError ? err.cause : undefined;
  if (cause?.statusCode !== 422 || !/existing ephemeral containers .* may not be changed/.test(cause.status.message ?? '')) return undefined;
  const pod = await getPod(input.kube, input.plan.namespace, input.plan.pod);
  const there = pod.spec?.ephemeralContainers?.find((c) => c.name === spec.name);
  return there && sameDebugger(there, spec) ? pod : undefined;
}

/**
 * `kubectl distroless-debug stop` ended the debugger (its termination message
 * says `stopped by USER at TIME`) while this run was still opening its
 * session: a person's decision, said as such.
 */
export function stoppedByStop(name: string, message: string | undefined): DebuggerFailedError | undefined {
  const last = message?.trim().split('\n').pop();
  if (!last?.startsWith(STOPPED_PREFIX)) return undefined;
  return new DebuggerFailedError(`debugger ${name} was ${last} (kubectl distroless-debug stop) while this session was starting; run the command again for a new debugger`);
}

export function stoppedError(name: string, state: Extract<DebuggerState, { kind: 'terminated' }>): Error {
  const mismatch = parseMismatch(state.message);
  if (mismatch) return new IdentityMismatch(mismatch, state.pod);
  const stopped = stoppedByStop(name, state.message);
  if (stopped) return stopped;
  return new DebuggerFailedError(
    `debugger ${name} exited with code ${state.exitCode}${state.message ? `: ${state.message.trim().split('\n').pop()}` : ''}; run with -v for details`,
  );
}
