import yargsParser from 'yargs-parser';
import { UsageError } from '../errors.js';
import type { RawArgs } from './options.js';

/**
 * kubectl-style spellings yargs would misread: a bare `--dry-run` (it would
 * swallow the pod name as its value) and kubectl's `-v=N` verbosity levels.
 */
export function normalizeArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a === '--dry-run') out.push('--dry-run=client');
    else if (/^(-v|--v)(=\d+)?$/.test(a)) out.push('--verbose');
    else out.push(a);
  }
  return out;
}

const STRING_FLAGS = [
  'namespace', 'context', 'kubeconfig', 'cluster', 'user', 'as', 'as-group', 'request-timeout',
  'container', 'image', 'image-pull-policy', 'uid', 'gid', 'profile', 'env', 'timeout',
  'idle-timeout', 'dry-run', 'output',
] as const;
const BOOLEAN_FLAGS = ['new', 'quiet', 'verbose', 'tty'] as const;
const ALIASES: Record<string, string[]> = { namespace: ['n'], container: ['c'], output: ['o'], quiet: ['q'], verbose: ['v'], tty: ['t'] };
const KNOWN = new Set<string>([...STRING_FLAGS, ...BOOLEAN_FLAGS, ...Object.values(ALIASES).flat()]);

type Parsed = Record<string, string | string[] | boolean | undefined> & { _: Array<string | number>; '--'?: Array<string | number> };
/** A switch spelled with its "no-" (boolean negation is off, so yargs keeps the name as written). */
const NO_PULL_SECRETS = 'no-pull-secrets';

/**
 * Parses argv into raw strings and booleans; no validation beyond shape.
 * yargs' own parser (yargs-parser) without the rest of yargs: the help text
 * is static, and the full framework costs ~100 ms of start-up.
 */
export function parseArgs(argv: string[]): RawArgs {
  const parsed = yargsParser(normalizeArgv(argv), {
    string: [...STRING_FLAGS],
    boolean: [...BOOLEAN_FLAGS, NO_PULL_SECRETS],
    alias: ALIASES,
    configuration: {
      'populate--': true,
      'camel-case-expansion': false,
      'boolean-negation': false,
      // Pod names and command words stay words ("1e3" is a valid pod name).
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'duplicate-arguments-array': true,
      'strip-aliased': true,
    },
  }) as Parsed;
  const unknown = Object.keys(parsed).filter((k) => k !== '_' && k !== '--' && !KNOWN.has(k) && k !== NO_PULL_SECRETS);
  const failure = unknown.length
    ? `Unknown argument${unknown.length > 1 ? 's' : ''}: ${unknown.map((k) => (k.length === 1 ? `-${k}` : `--${k}`)).join(', ')}`
    : undefined;
  const positional = parsed._.map(String);
  // A command typed without `--` shows up as extra words and unknown flags:
  // the hint about `--` beats yargs' complaint about the flags.
  if (positional.length > 1) {
    throw new UsageError(`one target expected, got "${positional.join(' ')}"; put a command after --, e.g. -- ls -l`);
  }
  if (failure) throw new UsageError(`${failure.replace(/\n/g, ' ')}; see --help`);
  const last = (v: string | string[] | boolean | undefined): string | undefined =>
    Array.isArray(v) ? v[v.length - 1] : typeof v === 'string' ? v : undefined;
  const list = (v: string | string[] | boolean | undefined): string[] | undefined =>
    v === undefined || typeof v === 'boolean' ? undefined : ([] as string[]).concat(v);
  const bool = (v: string | string[] | boolean | undefined): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
  return {
    target: positional[0],
    command: ((parsed['--'] as unknown[] | undefined) ?? []).map(String),
    namespace: last(parsed['namespace']),
    context: last(parsed['context']),
    kubeconfig: last(parsed['kubeconfig']),
    cluster: last(parsed['cluster']),
    user: last(parsed['user']),
    as: last(parsed['as']),
    asGroup: list(parsed['as-group']),
    requestTimeout: last(parsed['request-timeout']),
    container: last(parsed['container']),
    image: last(parsed['image']),
    imagePullPolicy: last(parsed['image-pull-policy']),
    uid: last(parsed['uid']),
    gid: last(parsed['gid']),
    profile: last(parsed['profile']),
    env: list(parsed['env']),
    new: bool(parsed['new']),
    timeout: last(parsed['timeout']),
    idleTimeout: last(parsed['idle-timeout']),
    dryRun: last(parsed['dry-run']),
    output: last(parsed['output']),
    quiet: bool(parsed['quiet']),
    verbose: bool(parsed['verbose']),
    tty: bool(parsed['tty']),
    ...(parsed['no-pull-secrets'] === true ? { noPullSecrets: true } : {}),
  };
}
