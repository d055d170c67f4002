import type { V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import type { Options } from '../options.js';
import { buildDebugContainer, debuggerName, reuseKey, sharedDebuggerName, type DebuggerMode } from './container.js';
import { decideIdentity, type Identity, type ImageUser } from './identity.js';
import { TargetUnreachableError } from '../errors.js';
import type { DebuggerRecord } from '../record/record.js';
import { learnFromEarlierDebuggers } from './learned.js';
import { findReusableDebugger, type Reusable } from './reuse.js';
import { decideSecurity, type ProfileName, type PsaLevel } from './security.js';
import { assertDebuggable, chooseTarget, type Target } from './target.js';

export type PlanAction =
  | { kind: 'reuse'; container: string; state: Reusable['state']; record?: DebuggerRecord | undefined }
  | { kind: 'create'; container: V1EphemeralContainer };

/** Everything decided before the cluster is changed; what --dry-run shows. */
export interface DebugPlan {
  namespace: string;
  pod: string;
  target: Target;
  identity: Identity;
  profile: Exclude<ProfileName, 'auto'>;
  mode: DebuggerMode;
  action: PlanAction;
  session: { command: string[]; tty: boolean; stdin: boolean };
}

/** What a session needs of a plan: where, how, and what to run. */
export type SessionPlan = Pick<DebugPlan, 'namespace' | 'pod' | 'mode' | 'session'> & { target: Pick<Target, 'container'> };

/**
 * An interactive shell reads the terminal; a command reads stdin only when
 * something is piped in, so a runbook step never waits on a terminal.
 */
export function sessionShape(options: Pick<Options, 'command' | 'tty'>, stdinIsTTY: boolean): DebugPlan['session'] {
  const interactive = options.command.length === 0;
  const tty = options.tty ?? (interactive && stdinIsTTY);
  return { command: options.command, tty, stdin: interactive || !stdinIsTTY || tty };
}

export interface PlanInput {
  pod: V1Pod;
  options: Options;
  psaLevel: PsaLevel | undefined;
  mode: DebuggerMode;
  /** A local terminal is attached to stdin (and so an interactive shell is possible). */
  stdinIsTTY: boolean;
  random: () => number;
  /** Set when a first debugger found the target's real identity. */
  identity?: Identity | undefined;
  imageUser?: ImageUser | undefined;
  /** Who/when/why, for a debugger this run adds (not part of its reuse key). */
  record?: DebuggerRecord | undefined;
}

function chooseIdentity(input: PlanInput, target: string): Identity {
  const { pod, options } = input;
  if (options.profile === 'general' && options.uid === undefined && options.gid === undefined) return { uid: 0, gid: 0, source: 'profile' };
  const decided = decideIdentity({ pod, container: target, uid: options.uid, gid: options.gid, imageUser: input.imageUser });
  if (decided.source === 'flag') return decided;
  const learned = learnFromEarlierDebuggers(pod, target, decided);
  if (learned?.kind === 'unopenable') throw unopenable(learned.uid, learned.gid, learned.from);
  return learned?.identity ?? decided;
}

/** The target cannot be opened by its own identity: only CAP_SYS_PTRACE helps. */
export function unopenable(uid: number, gid: number, debuggerName?: string): TargetUnreachableError {
  return new TargetUnreachableError(
    `cannot open the target's files even as its own identity (uid ${uid} gid ${gid})${debuggerName ? `, as debugger ${debuggerName} found` : ''}: it changed its credentials after start and is not dumpable, or a security module blocks ptrace; use --profile general (root with SYS_PTRACE)`,
  );
}

export function makePlan(input: PlanInput): DebugPlan {
  const { pod, options, mode } = input;
  const target = chooseTarget(pod, options.container);
  assertDebuggable(pod, target);
  const identity: Identity = input.identity ?? chooseIdentity(input, target.container);
  const security = decideSecurity({ identity, profile: options.profile, psaLevel: input.psaLevel });
  const session = sessionShape(options, input.stdinIsTTY);
  const { tty } = session;
  const spec = buildDebugContainer({
    pod,
    name: '',
    image: options.image,
    imagePullPolicy: options.imagePullPolicy,
    target,
    identity,
    securityContext: security.securityContext,
    env: options.env,
    mode,
    command: options.command,
    tty,
    idleTimeoutSeconds: options.idleTimeoutSeconds,
    record: input.record,
  });
  // Attach debuggers are one session each (the session is their main process).
  const shared = mode === 'exec' && !options.forceNew;
  const reusable = shared ? findReusableDebugger(pod, spec) : undefined;
  spec.name = shared ? sharedDebuggerName(pod, reuseKey(spec)) : debuggerName(pod, input.random);
  const action: PlanAction = reusable
    ? { kind: 'reuse', container: reusable.name, state: reusable.state, ...(reusable.record ? { record: reusable.record } : {}) }
    : { kind: 'create', container: spec };
  return {
    namespace: pod.metadata?.namespace ?? '',
    pod: pod.metadata?.name ?? '',
    target,
    identity,
    profile: security.profile,
    mode,
    action,
    session,
  };
}
