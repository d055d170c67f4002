import { MAX_TIMER_MS, parseDurationFlag } from '../duration.js';
import { UsageError } from '../errors.js';
import { kindOf } from '../kinds.js';
import { DEFAULT_IMAGE } from '../plan/container.js';
import { imageReferenceProblem } from '../registry/reference.js';
import { PROFILES } from '../plan/security.js';
import { checkReason } from '../record/record.js';
import { checkNamespace, kubeconfigFlags } from './kube-flags.js';

export { WORKLOAD_KINDS, type WorkloadKind } from '../kinds.js';
export type { DryRun, Options, OutputFormat, TargetRef } from '../options.js';
import type { Options, TargetRef } from '../options.js';

/** What the argument parser hands over: strings and booleans, unchecked. */
export interface RawArgs {
  target?: string | undefined;
  command: string[];
  namespace?: string | undefined;
  context?: string | undefined;
  kubeconfig?: string | undefined;
  cluster?: string | undefined;
  user?: string | undefined;
  as?: string | undefined;
  asGroup?: string[] | undefined;
  requestTimeout?: string | undefined;
  container?: string | undefined;
  image?: string | undefined;
  imagePullPolicy?: string | undefined;
  uid?: string | undefined;
  gid?: string | undefined;
  profile?: string | undefined;
  env?: string[] | undefined;
  new?: boolean | undefined;
  timeout?: string | undefined;
  idleTimeout?: string | undefined;
  dryRun?: string | undefined;
  output?: string | undefined;
  quiet?: boolean | undefined;
  verbose?: boolean | undefined;
  tty?: boolean | undefined;
  noPullSecrets?: boolean | undefined;
  reason?: string | undefined;
  record?: string | undefined;
  recordInput?: boolean | undefined;
  copyTo?: string | undefined;
  rm?: boolean | undefined;
  /** kubectl's global flags that were given (--server, --token, ..., --cache-dir), by their kubectl names. */
  kubectlFlags?: Record<string, string | boolean> | undefined;
}

/** kubectl global flags that cannot apply to a plugin, and what -v says about each. */
/** kubectl's --profile values (profiling kubectl itself): ours picks the debugger's security profile. */
const KUBECTL_PROFILES = ['none', 'cpu', 'heap', 'goroutine', 'threadcreate', 'block', 'mutex'];


export function parseTargetRef(s: string | undefined): TargetRef {
  if (s === undefined || s === '') {
    throw new UsageError('missing the pod to debug: kubectl distroless-debug POD (or deploy/NAME); see --help');
  }
  const slash = s.indexOf('/');
  if (slash < 0) {
    checkObjectName(s, 'pod');
    return { kind: 'pod', name: s };
  }
  const kind = kindOf(s.slice(0, slash))?.kind;
  const name = s.slice(slash + 1);
  if (!kind) {
    throw new UsageError(`cannot debug "${s}": use a pod name or pod/, deploy/, sts/, ds/, rs/ or job/ followed by a name`);
  }
  if (!name || name.includes('/')) throw new UsageError(`"${s}" is not a valid name; expected KIND/NAME`);
  checkObjectName(name, kind);
  return { kind, name };
}

// Kubernetes object names (DNS-1123 subdomain); namespaces: src/cli/kube-flags.ts.
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A name the API server could never hold: say so, rather than "not found". */
function checkObjectName(name: string, what: string): void {
  if (name.length <= 253 && SUBDOMAIN.test(name)) return;
  throw new UsageError(
    `"${name}" cannot be a ${what} name: names are at most 253 lower-case letters, digits, "-" and ".", starting and ending with a letter or digit; check the name`,
  );
}


/** --timeout's value in ms: 0 means no limit, which a Node timer can only hold as its longest delay. */
export function parseTimeout(value: string | undefined): number {
  const ms = parseDurationFlag(value ?? '2m', { flag: '--timeout', zero: 'no limit' });
  // A timer rounds sub-millisecond delays down to "at once"; round up instead.
  return ms === 0 ? MAX_TIMER_MS : Math.ceil(ms);
}

/** --idle-timeout in whole seconds for the keeper: 0 means never; anything else is at least 1 s. */
export function parseIdleTimeout(value: string | undefined): number {
  const ms = parseDurationFlag(value ?? '10m', { flag: '--idle-timeout', zero: 'never' });
  return Math.ceil(ms / 1000);
}

function parseId(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 2147483647) {
    throw new UsageError(`${flag} must be a numeric ID such as 65532, got "${v}"`);
  }
  return Number(v);
}

/** The debugger's own variables (DD_MODE, DD_IDLE_TIMEOUT, ...): --env must not override them. */
export const RESERVED_ENV_PREFIX = 'DD_';

function parseEnv(list: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    const key = eq < 0 ? '' : kv.slice(0, eq);
    // Kubernetes' rule for environment variable names (IsEnvVarName).
    if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(key) || key === '.' || key.startsWith('..')) {
      throw new UsageError(
        eq < 0
          ? `--env "${kv}" has no "="; write it as NAME=VALUE, e.g. --env LOG_LEVEL=debug`
          : `--env "${kv}": "${key}" is not a valid variable name; use letters, digits, "_", "-" and ".", not starting with a digit`,
      );
    }
    if (key.startsWith(RESERVED_ENV_PREFIX)) {
      throw new UsageError(`--env ${key}: names starting with ${RESERVED_ENV_PREFIX} are reserved for the debugger's own settings; pick another name`);
    }
    // defineProperty: a variable named __proto__ is still a variable, not a prototype.
    Object.defineProperty(env, key, { value: kv.slice(eq + 1), enumerable: true, writable: true, configurable: true });
  }
  return env;
}

function checkImage(image: string, fromFlag: boolean): void {
  const problem = imageReferenceProblem(image);
  if (problem === undefined) return;
  const source = fromFlag ? '--image' : 'DISTROLESS_DEBUG_IMAGE';
  throw new UsageError(`${source} "${image}" is not a valid image reference (${problem}); use e.g. ${DEFAULT_IMAGE}`);
}

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(', ')}; got "${v}"`);
  }
  return v as T;
}

/** --copy-to NAME and --rm: a valid pod name, and only the flags that mean something for a copy. */
function checkCopyTo(raw: RawArgs): void {
  if (raw.rm && raw.copyTo === undefined) {
    throw new UsageError('--rm deletes the copy made by --copy-to NAME; add --copy-to NAME, or drop --rm');
  }
  if (raw.copyTo === undefined) return;
  checkObjectName(raw.copyTo, '--copy-to pod');
  if (raw.copyTo === parseTargetRef(raw.target).name) {
    throw new UsageError(`--copy-to ${raw.copyTo} is the pod itself; give the copy a new name, e.g. --copy-to ${raw.copyTo}-debug`);
  }
  for (const [flag, v] of [['--uid', raw.uid], ['--gid', raw.gid], ['--profile', raw.profile], ['--new', raw.new], ['--idle-timeout', raw.idleTimeout]] as const) {
    if (v !== undefined && v !== false) {
      throw new UsageError(`${flag} does not apply to --copy-to: the session runs in the copy's app container itself, as the app's identity; drop ${flag}`);
    }
  }
}

export function toOptions(raw: RawArgs, env: NodeJS.ProcessEnv): Options {
  const ref = parseTargetRef(raw.target);
  checkNamespace(raw.namespace);
  const dryRunRaw = raw.dryRun === '' || raw.dryRun === 'true' ? 'client' : raw.dryRun === 'false' ? undefined : raw.dryRun;
  const dryRun = oneOf(dryRunRaw, ['client', 'server', 'none'] as const, '--dry-run') ?? 'none';
  const output = oneOf(raw.output, ['yaml', 'json'] as const, '-o/--output');
  if (output && dryRun === 'none') {
    throw new UsageError('-o/--output only applies with --dry-run; add --dry-run=client or --dry-run=server');
  }
  if (dryRun !== 'none' && raw.command.length > 0) {
    throw new UsageError('--dry-run runs nothing, so a command after -- would be ignored; drop the command or --dry-run');
  }
  if (raw.quiet && raw.verbose) throw new UsageError('-q/--quiet and -v/--verbose cannot be used together');
  const uid = parseId(raw.uid, '--uid');
  const gid = parseId(raw.gid, '--gid');
  if (gid !== undefined && uid === undefined) {
    // A detected UID with a chosen GID matches neither the target nor what the user meant.
    throw new UsageError(`--gid needs --uid too: the debugger must match the target's UID and GID; pass both (e.g. --uid ${gid} --gid ${gid}), or neither to use the detected identity`);
  }
  if (raw.profile !== undefined && KUBECTL_PROFILES.includes(raw.profile)) {
    throw new UsageError(
      `--profile ${raw.profile}: here --profile picks the debugger's security profile (${PROFILES.join(', ')}); kubectl's --profile (profiling kubectl itself) does not apply to the plugin`,
    );
  }
  const profile = oneOf(raw.profile, PROFILES, '--profile') ?? 'auto';
  if (profile === 'restricted' && uid === 0) {
    throw new UsageError('--uid 0 asks for a root debugger, which --profile restricted never runs; drop --uid 0, or use --profile baseline');
  }
  const fromFlag = raw.image !== undefined;
  const image = raw.image ?? (env.DISTROLESS_DEBUG_IMAGE || DEFAULT_IMAGE);
  checkImage(image, fromFlag);
  const { kube, notes, warningsAsErrors } = kubeconfigFlags(raw);
  checkCopyTo(raw);
  return {
    ...(notes.length > 0 ? { notes } : {}),
    ...(warningsAsErrors ? { warningsAsErrors: true } : {}),
    ref,
    command: raw.command,
    container: raw.container,
    image,
    imagePullPolicy: oneOf(raw.imagePullPolicy, ['Always', 'IfNotPresent', 'Never'] as const, '--image-pull-policy'),
    uid,
    gid,
    profile,
    env: parseEnv(raw.env ?? []),
    forceNew: raw.new ?? false,
    timeoutMs: parseTimeout(raw.timeout),
    idleTimeoutSeconds: parseIdleTimeout(raw.idleTimeout),
    dryRun,
    output: output ?? (dryRun === 'none' ? undefined : 'yaml'),
    quiet: raw.quiet ?? false,
    verbose: raw.verbose ?? false,
    tty: raw.tty,
    kube,
    // The pod's pull secrets are the workload's credentials: off with the flag or DISTROLESS_DEBUG_NO_PULL_SECRETS=1.
    ...(raw.copyTo !== undefined ? { copyTo: raw.copyTo } : {}),
    ...(raw.rm ? { rm: true } : {}),
    ...(raw.noPullSecrets || /^(1|true|yes)$/i.test(env.DISTROLESS_DEBUG_NO_PULL_SECRETS?.trim() ?? '') ? { pullSecrets: false as const } : {}),
    ...recordOptions(raw, env, dryRun),
  };
}

/** --reason (else DISTROLESS_DEBUG_REASON), --record FILE, --record-input (issue 12). */
function recordOptions(raw: RawArgs, env: NodeJS.ProcessEnv, dryRun: Options['dryRun']): Pick<Options, 'reason' | 'record'> {
  const reason = raw.reason !== undefined ? checkReason(raw.reason, true) : checkReason(env.DISTROLESS_DEBUG_REASON, false);
  if (raw.recordInput && raw.record === undefined) {
    throw new UsageError('--record-input needs --record FILE: it adds what you type to that recording');
  }
  if (raw.record !== undefined && dryRun !== 'none') {
    throw new UsageError('--dry-run opens no session, so --record would record nothing; drop --record or --dry-run');
  }
  return {
    ...(reason !== undefined ? { reason } : {}),
    ...(raw.record !== undefined ? { record: { file: raw.record, input: raw.recordInput === true } } : {}),
  };
}
