import type { V1Pod } from '@kubernetes/client-node';
import type { Options } from '../cli/options.js';
import { DebuggerFailedError, TargetUnreachableError } from '../errors.js';
import { addEphemeralContainer, waitForDebugger, type namespacePsaLevel } from '../kube/pods.js';
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

/** Adds (or reuses) the debugger and waits until it runs; corrects a wrong identity once. */
export async function startDebugger(input: StartInput): Promise<{ plan: DebugPlan; container: string }> {
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
