import yargs from 'yargs';
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

/** Parses argv into raw strings and booleans; no validation beyond shape. */
export function parseArgs(argv: string[]): RawArgs {
  let failure: string | undefined;
  const parsed = yargs(normalizeArgv(argv))
    // Pod names and command words stay words ("1e3" is a valid pod name).
    .parserConfiguration({
      'populate--': true,
      'camel-case-expansion': true,
      'boolean-negation': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
    })
    .help(false)
    .version(false)
    .strictOptions()
    .exitProcess(false)
    .fail((msg) => {
      failure = msg;
    })
    .options({
      namespace: { alias: 'n', type: 'string' },
      context: { type: 'string' },
      kubeconfig: { type: 'string' },
      cluster: { type: 'string' },
      user: { type: 'string' },
      as: { type: 'string' },
      // Repeatable, one value each (array: true would swallow the pod name).
      'as-group': { type: 'string' },
      'request-timeout': { type: 'string' },
      container: { alias: 'c', type: 'string' },
      image: { type: 'string' },
      'image-pull-policy': { type: 'string' },
      uid: { type: 'string' },
      gid: { type: 'string' },
      profile: { type: 'string' },
      env: { type: 'string' },
      new: { type: 'boolean' },
      timeout: { type: 'string' },
      'idle-timeout': { type: 'string' },
      'dry-run': { type: 'string' },
      output: { alias: 'o', type: 'string' },
      quiet: { alias: 'q', type: 'boolean' },
      verbose: { alias: 'v', type: 'boolean' },
      tty: { alias: 't', type: 'boolean' },
    })
    .parseSync();
  const positional = parsed._.map(String);
  // A command typed without `--` shows up as extra words and unknown flags:
  // the hint about `--` beats yargs' complaint about the flags.
  if (positional.length > 1) {
    throw new UsageError(`one target expected, got "${positional.join(' ')}"; put a command after --, e.g. -- ls -l`);
  }
  if (failure) throw new UsageError(`${failure.replace(/\n/g, ' ')}; see --help`);
  const last = <T>(v: T | T[] | undefined): T | undefined => (Array.isArray(v) ? v[v.length - 1] : v);
  const list = (v: string | string[] | undefined): string[] | undefined => (v === undefined ? undefined : ([] as string[]).concat(v));
  return {
    target: positional[0],
    command: ((parsed['--'] as unknown[] | undefined) ?? []).map(String),
    namespace: last(parsed.namespace),
    context: last(parsed.context),
    kubeconfig: last(parsed.kubeconfig),
    cluster: last(parsed.cluster),
    user: last(parsed.user),
    as: last(parsed.as),
    asGroup: list(parsed.asGroup),
    requestTimeout: last(parsed.requestTimeout),
    container: last(parsed.container),
    image: last(parsed.image),
    imagePullPolicy: last(parsed.imagePullPolicy),
    uid: last(parsed.uid),
    gid: last(parsed.gid),
    profile: last(parsed.profile),
    env: list(parsed.env),
    new: parsed.new,
    timeout: last(parsed.timeout),
    idleTimeout: last(parsed.idleTimeout),
    dryRun: last(parsed.dryRun),
    output: last(parsed.output),
    quiet: parsed.quiet,
    verbose: parsed.verbose,
    tty: parsed.tty,
  };
}
