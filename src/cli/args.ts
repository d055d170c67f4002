import yargsParser from 'yargs-parser';
import { UsageError } from '../errors.js';
import type { RawArgs } from './options.js';
import { KUBE_BOOLEAN_FLAGS, KUBE_SHORT, KUBE_STRING_FLAGS, KUBECTL_GLOBALS } from './kube-flags.js';
import { verbosityAt } from './verbosity.js';

const STRING_FLAGS = [
  ...KUBE_STRING_FLAGS,
  'container', 'image', 'image-pull-policy', 'uid', 'gid', 'profile', 'env', 'timeout',
  'idle-timeout', 'dry-run', 'output',
  'copy-to',
] as const;
const BOOLEAN_FLAGS = ['new', 'quiet', 'verbose', 'tty', 'rm', ...KUBE_BOOLEAN_FLAGS] as const;
const ALIASES: Record<string, string[]> = { namespace: ['n'], container: ['c'], output: ['o'], quiet: ['q'], verbose: ['v'], tty: ['t'], server: ['s'] };
/** The who/when/why record and the session recording (issue 12). */
const RECORD_STRING_FLAGS = ['reason', 'record'] as const;
const RECORD_BOOLEAN_FLAGS = ['record-input'] as const;
const KNOWN = new Set<string>([...STRING_FLAGS, ...BOOLEAN_FLAGS, ...Object.values(ALIASES).flat()]);
for (const f of [...RECORD_STRING_FLAGS, ...RECORD_BOOLEAN_FLAGS]) KNOWN.add(f);

/** What each value flag expects, for "needs a value" messages. */
const VALUE_HINT: Readonly<Record<(typeof STRING_FLAGS)[number], string>> = {
  namespace: 'NAMESPACE',
  context: 'NAME',
  kubeconfig: 'FILE',
  cluster: 'NAME',
  user: 'NAME',
  as: 'USER',
  'as-group': 'GROUP',
  'request-timeout': '30s',
  container: 'NAME',
  image: 'IMAGE',
  'image-pull-policy': 'IfNotPresent',
  uid: '65532',
  gid: '65532',
  profile: 'restricted',
  env: 'NAME=VALUE',
  timeout: '2m',
  'idle-timeout': '10m',
  'dry-run': 'server',
  output: 'yaml',
  'copy-to': 'NAME',
  server: 'https://HOST:6443',
  token: 'TOKEN',
  'certificate-authority': 'FILE',
  'client-certificate': 'FILE',
  'client-key': 'FILE',
  'tls-server-name': 'NAME',
  'as-uid': 'UID',
  username: 'NAME',
  password: 'PASSWORD',
  'cache-dir': 'DIR',
  'log-flush-frequency': '5s',
  vmodule: 'PATTERN=N',
  'profile-output': 'FILE',
  kuberc: 'FILE',
};
const RECORD_VALUE_HINT: Readonly<Record<(typeof RECORD_STRING_FLAGS)[number], string>> = { reason: '"INC-1234"', record: 'session.cast' };
const VALUE_FLAGS = new Set<string>([...STRING_FLAGS, ...RECORD_STRING_FLAGS]);
const SHORT_VALUE: Readonly<Record<string, string>> = { ...KUBE_SHORT, c: 'container', o: 'output' };
const SHORT_BOOLEAN: Readonly<Record<string, string>> = { q: 'quiet', v: 'verbose', t: 'tty' };

function needsValue(written: string, long: string): UsageError {
  const hint = VALUE_HINT[long as keyof typeof VALUE_HINT] ?? RECORD_VALUE_HINT[long as keyof typeof RECORD_VALUE_HINT] ?? 'VALUE';
  return new UsageError(`flag ${written} needs a value, e.g. ${written} ${hint}; see --help`);
}

function emptyValue(written: string, long: string): UsageError {
  const hint = VALUE_HINT[long as keyof typeof VALUE_HINT] ?? RECORD_VALUE_HINT[long as keyof typeof RECORD_VALUE_HINT] ?? 'VALUE';
  return new UsageError(`flag ${written} has an empty value; give one, e.g. ${written} ${hint}`);
}

/** A next word that is a value even though it starts with "-": a negative number or duration ("-1", "-1s", "-.5s"). */
const NEGATIVE = /^-[0-9.]/;

/**
 * Rewrites every value flag to `--long=value` so that yargs cannot drop or
 * misread a value, and turns a flag with no value (at the end, before `--`,
 * or followed by another flag) or an empty value into a usage error naming
 * the flag, as kubectl does ("flag needs an argument"). Also the
 * kubectl-style spellings yargs would misread: a bare `--dry-run` (it would
 * swallow the pod name as its value), kubectl's `-v=N` verbosity levels, and
 * pflag's short forms `-ndemo` and `-qn demo`.
 */
export function normalizeArgv(argv: string[]): string[] {
  const out: string[] = [];
  let i = 0;
  /** The value after a flag written without "=": the next word, unless there is none. */
  const nextValue = (written: string, long: string): string => {
    const next = argv[i + 1];
    if (next === undefined || next === '--' || (next.startsWith('-') && next !== '-' && !NEGATIVE.test(next))) {
      throw needsValue(written, long);
    }
    i++;
    if (next === '') throw emptyValue(written, long);
    return next;
  };
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a === '--dry-run') {
      // pflag never takes a separate word for --dry-run (it has a default); say how to write it.
      const next = argv[i + 1];
      if (next === 'client' || next === 'server' || next === 'none') {
        throw new UsageError(`write --dry-run=${next} with "=": a separate word after --dry-run is read as the pod name`);
      }
      out.push('--dry-run=client');
      continue;
    }
    const level = verbosityAt(a, argv[i + 1]);
    if (level) {
      // kubectl's -v takes a level, also as the next word ("-v 6"): a number there is the level, not a target.
      i += level.words - 1;
      if (level.level > 0) out.push('--verbose');
      continue;
    }
    const long = /^--([^=]+)(=(.*))?$/s.exec(a);
    if (long) {
      const name = long[1] as string;
      if (!VALUE_FLAGS.has(name)) {
        out.push(a);
        continue;
      }
      if (long[2] === undefined) out.push(`--${name}=${nextValue(`--${name}`, name)}`);
      else if (long[3] === '') throw emptyValue(`--${name}`, name);
      else out.push(a);
      continue;
    }
    if (/^-[^-]/.test(a) && !NEGATIVE.test(a)) {
      // A cluster of short flags: booleans, then at most one value flag that takes the rest (or the next word).
      const letters = a.slice(1);
      const pending: string[] = [];
      let done = false;
      for (let j = 0; j < letters.length && !done; j++) {
        const ch = letters[j] as string;
        if (SHORT_BOOLEAN[ch]) {
          pending.push(`--${SHORT_BOOLEAN[ch]}`);
        } else if (SHORT_VALUE[ch]) {
          const longName = SHORT_VALUE[ch] as string;
          let rest = letters.slice(j + 1);
          if (rest.startsWith('=')) {
            rest = rest.slice(1);
            if (rest === '') throw emptyValue(`-${ch}`, longName);
          }
          pending.push(`--${longName}=${rest !== '' ? rest : nextValue(`-${ch}`, longName)}`);
          done = true;
        } else {
          // Unknown letter: let yargs name it in its "Unknown argument" message.
          pending.length = 0;
          pending.push(a);
          done = true;
        }
      }
      out.push(...pending);
      continue;
    }
    out.push(a);
  }
  return out;
}

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
    string: [...STRING_FLAGS, ...RECORD_STRING_FLAGS],
    boolean: [...BOOLEAN_FLAGS, NO_PULL_SECRETS, ...RECORD_BOOLEAN_FLAGS],
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
    ...(last(parsed['copy-to']) !== undefined ? { copyTo: last(parsed['copy-to']) } : {}),
    ...(parsed['rm'] === true ? { rm: true } : {}),
    ...recordArgs(parsed, last),
    ...kubectlGlobals(parsed, last, bool),
  };
}

/** --reason, --record, --record-input: only the ones given, so RawArgs stays as it was without them. */
function recordArgs(parsed: Parsed, last: (v: string | string[] | boolean | undefined) => string | undefined): Pick<RawArgs, 'reason' | 'record' | 'recordInput'> {
  const reason = last(parsed['reason']);
  const record = last(parsed['record']);
  return {
    ...(reason !== undefined ? { reason } : {}),
    ...(record !== undefined ? { record } : {}),
    ...(parsed['record-input'] === true ? { recordInput: true } : {}),
  };
}

/** The kubectl global flags given, by their kubectl names (only those present). */
function kubectlGlobals(
  parsed: Parsed,
  last: (v: string | string[] | boolean | undefined) => string | undefined,
  bool: (v: string | string[] | boolean | undefined) => boolean | undefined,
): Pick<RawArgs, 'kubectlFlags'> {
  const flags: Record<string, string | boolean> = {};
  for (const name of KUBECTL_GLOBALS) {
    const v = parsed[name];
    const value = typeof v === 'boolean' ? bool(v) : last(v);
    if (value !== undefined) flags[name] = value;
  }
  return Object.keys(flags).length > 0 ? { kubectlFlags: flags } : {};
}
