import { UsageError } from '../errors.js';
import { kindOf } from '../kinds.js';
import type { KubeconfigFlags } from '../kubeconfig/load.js';
import { DEFAULT_IMAGE } from '../plan/container.js';
import { PROFILES } from '../plan/security.js';

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
}


export function parseTargetRef(s: string | undefined): TargetRef {
  if (s === undefined || s === '') {
    throw new UsageError('missing the pod to debug: kubectl distroless-debug POD (or deploy/NAME); see --help');
  }
  const slash = s.indexOf('/');
  if (slash < 0) return { kind: 'pod', name: s };
  const kind = kindOf(s.slice(0, slash))?.kind;
  const name = s.slice(slash + 1);
  if (!kind) {
    throw new UsageError(`cannot debug "${s}": use a pod name or pod/, deploy/, sts/, ds/, rs/ or job/ followed by a name`);
  }
  if (!name || name.includes('/')) throw new UsageError(`"${s}" is not a valid name; expected KIND/NAME`);
  return { kind, name };
}

/** Go-style durations as kubectl takes them: 90s, 2m, 1h30m, 500ms; a bare number means seconds. */
export function parseDuration(s: string, flag: string): number {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let matched = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * (unit[m[2] as string] ?? 0);
    matched += m[0].length;
  }
  if (matched === 0 || matched !== s.length) {
    throw new UsageError(`${flag} "${s}" is not a duration; use a value like 30s, 2m or 1h`);
  }
  return total;
}

function parseId(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 2147483647) {
    throw new UsageError(`${flag} must be a numeric ID such as 65532, got "${v}"`);
  }
  return Number(v);
}

function parseEnv(list: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    const key = eq < 0 ? '' : kv.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      throw new UsageError(`--env "${kv}" must look like NAME=value`);
    }
    // defineProperty: a variable named __proto__ is still a variable, not a prototype.
    Object.defineProperty(env, key, { value: kv.slice(eq + 1), enumerable: true, writable: true, configurable: true });
  }
  return env;
}

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(', ')}; got "${v}"`);
  }
  return v as T;
}

export function toOptions(raw: RawArgs, env: NodeJS.ProcessEnv): Options {
  const ref = parseTargetRef(raw.target);
  const dryRunRaw = raw.dryRun === '' || raw.dryRun === 'true' ? 'client' : raw.dryRun === 'false' ? undefined : raw.dryRun;
  const dryRun = oneOf(dryRunRaw, ['client', 'server', 'none'] as const, '--dry-run') ?? 'none';
  const output = oneOf(raw.output, ['yaml', 'json'] as const, '-o/--output');
  if (output && dryRun === 'none') {
    throw new UsageError('-o/--output only applies with --dry-run; add --dry-run=client or --dry-run=server');
  }
  if (raw.quiet && raw.verbose) throw new UsageError('-q/--quiet and -v/--verbose cannot be used together');
  const uid = parseId(raw.uid, '--uid');
  const gid = parseId(raw.gid, '--gid');
  const image = raw.image ?? (env.DISTROLESS_DEBUG_IMAGE || DEFAULT_IMAGE);
  if (!image.trim()) throw new UsageError('--image must not be empty');
  const requestTimeout = raw.requestTimeout;
  if (requestTimeout !== undefined && requestTimeout !== '0') parseDuration(requestTimeout, '--request-timeout');
  const kube: KubeconfigFlags = {};
  if (raw.kubeconfig !== undefined) kube.kubeconfig = raw.kubeconfig;
  if (raw.context !== undefined) kube.context = raw.context;
  if (raw.cluster !== undefined) kube.cluster = raw.cluster;
  if (raw.user !== undefined) kube.user = raw.user;
  if (raw.namespace !== undefined) kube.namespace = raw.namespace;
  if (raw.as !== undefined) kube.as = raw.as;
  if (raw.asGroup !== undefined && raw.asGroup.length > 0) kube.asGroups = raw.asGroup;
  if (requestTimeout !== undefined) kube.requestTimeout = requestTimeout;
  return {
    ref,
    command: raw.command,
    container: raw.container,
    image,
    imagePullPolicy: oneOf(raw.imagePullPolicy, ['Always', 'IfNotPresent', 'Never'] as const, '--image-pull-policy'),
    uid,
    gid,
    profile: oneOf(raw.profile, PROFILES, '--profile') ?? 'auto',
    env: parseEnv(raw.env ?? []),
    forceNew: raw.new ?? false,
    timeoutMs: parseDuration(raw.timeout ?? '2m', '--timeout'),
    idleTimeoutSeconds: Math.round(parseDuration(raw.idleTimeout ?? '10m', '--idle-timeout') / 1000),
    dryRun,
    output: output ?? (dryRun === 'none' ? undefined : 'yaml'),
    quiet: raw.quiet ?? false,
    verbose: raw.verbose ?? false,
    tty: raw.tty,
    kube,
    // The pod's pull secrets are the workload's credentials: off with the flag or DISTROLESS_DEBUG_NO_PULL_SECRETS=1.
    ...(raw.noPullSecrets || /^(1|true|yes)$/i.test(env.DISTROLESS_DEBUG_NO_PULL_SECRETS?.trim() ?? '') ? { pullSecrets: false as const } : {}),
  };
}
