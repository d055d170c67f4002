import { describe, expect, it } from 'vitest';
import { normalizeArgv, parseArgs } from '../../../src/cli/args.js';
import type { RawArgs } from '../../../src/cli/options.js';
import { UsageError } from '../../../src/errors.js';

function usageError(f: () => unknown): UsageError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(UsageError);
  return caught as UsageError;
}

/** parseArgs leaves absent flags undefined; compare only what was set. */
function defined(r: RawArgs): Partial<RawArgs> {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
}

describe('normalizeArgv', () => {
  it.each([
    { argv: ['--dry-run', 'web-1'], want: ['--dry-run=client', 'web-1'] },
    { argv: ['--dry-run=server', 'web-1'], want: ['--dry-run=server', 'web-1'] },
    { argv: ['-v', 'web-1'], want: ['--verbose', 'web-1'] },
    { argv: ['-v=6', 'web-1'], want: ['--verbose', 'web-1'] },
    { argv: ['--v=9', 'web-1'], want: ['--verbose', 'web-1'] },
    { argv: ['--v', 'web-1'], want: ['--verbose', 'web-1'] },
    { argv: ['web-1', '--', '--dry-run', '-v'], want: ['web-1', '--', '--dry-run', '-v'] },
    { argv: ['-vv', 'web-1'], want: ['--verbose', '--verbose', 'web-1'] },
    { argv: [], want: [] },
  ])('$argv', ({ argv, want }) => {
    expect(normalizeArgv(argv)).toEqual(want);
  });
});

describe('parseArgs', () => {
  it.each<{ name: string; argv: string[]; want: Partial<RawArgs> }>([
    { name: 'pod only', argv: ['web-1'], want: { target: 'web-1', command: [] } },
    { name: 'nothing', argv: [], want: { command: [] } },
    { name: 'command after --', argv: ['web-1', '--', 'ls', '-l', '/etc'], want: { target: 'web-1', command: ['ls', '-l', '/etc'] } },
    { name: 'flags after -- belong to the command', argv: ['web-1', '--', 'sh', '-c', 'echo $HOME', '-n', 'x', '--dry-run', '-v'], want: { target: 'web-1', command: ['sh', '-c', 'echo $HOME', '-n', 'x', '--dry-run', '-v'] } },
    { name: 'a second -- is part of the command', argv: ['web-1', '--', 'env', '--', 'x'], want: { target: 'web-1', command: ['env', '--', 'x'] } },
    { name: 'bare --dry-run before the pod name', argv: ['--dry-run', 'web-1'], want: { target: 'web-1', command: [], dryRun: 'client' } },
    { name: 'bare --dry-run after the pod name', argv: ['web-1', '--dry-run'], want: { target: 'web-1', command: [], dryRun: 'client' } },
    { name: '--dry-run=server', argv: ['--dry-run=server', 'web-1', '-o', 'json'], want: { target: 'web-1', command: [], dryRun: 'server', output: 'json' } },
    { name: '-v=6', argv: ['-v=6', 'web-1'], want: { target: 'web-1', command: [], verbose: true } },
    { name: '-v', argv: ['web-1', '-v'], want: { target: 'web-1', command: [], verbose: true } },
    { name: '--verbose', argv: ['web-1', '--verbose'], want: { target: 'web-1', command: [], verbose: true } },
    { name: '-q', argv: ['-q', 'web-1'], want: { target: 'web-1', command: [], quiet: true } },
    { name: '-t', argv: ['-t', 'web-1', '--', 'top'], want: { target: 'web-1', command: ['top'], tty: true } },
    { name: '--tty=false', argv: ['web-1', '--tty=false'], want: { target: 'web-1', command: [], tty: false } },
    { name: '--new', argv: ['--new', 'web-1'], want: { target: 'web-1', command: [], new: true } },
    { name: 'workload ref', argv: ['deploy/api', '-n', 'shop'], want: { target: 'deploy/api', command: [], namespace: 'shop' } },
    { name: '-n=value', argv: ['web-1', '-n=shop'], want: { target: 'web-1', command: [], namespace: 'shop' } },
    { name: 'a repeated string flag: the last wins', argv: ['web-1', '-c', 'a', '-c', 'b', '--image', 'x', '--image=y'], want: { target: 'web-1', command: [], container: 'b', image: 'y' } },
    { name: 'repeated --env after the pod', argv: ['web-1', '--env', 'A=1', '--env', 'B=2', '--env=C=3'], want: { target: 'web-1', command: [], env: ['A=1', 'B=2', 'C=3'] } },
    { name: 'repeated --as-group after the pod', argv: ['web-1', '--as-group', 'a', '--as-group', 'b'], want: { target: 'web-1', command: [], asGroup: ['a', 'b'] } },
    { name: '--uid keeps its string form', argv: ['web-1', '--uid', '0010', '--gid', '0'], want: { target: 'web-1', command: [], uid: '0010', gid: '0' } },
    { name: 'a pod name with leading zeros stays a string', argv: ['007'], want: { target: '007', command: [] } },
    {
      name: 'every flag',
      argv: [
        'sts/db', '--namespace', 'data', '--context', 'prod', '--kubeconfig', '/k', '--cluster', 'c', '--user', 'u', '--as', 'jane',
        '--as-group=g', '--request-timeout', '5s', '--container', 'pg', '--image', 'bb:1', '--image-pull-policy', 'Always',
        '--uid', '999', '--gid', '998', '--profile', 'baseline', '--env=A=1', '--new', '--timeout', '1m', '--idle-timeout', '5m',
        '--dry-run=server', '--output', 'yaml', '--quiet', '--tty', '--', 'psql', '-c', 'select 1',
      ],
      want: {
        target: 'sts/db',
        command: ['psql', '-c', 'select 1'],
        namespace: 'data',
        context: 'prod',
        kubeconfig: '/k',
        cluster: 'c',
        user: 'u',
        as: 'jane',
        asGroup: ['g'],
        requestTimeout: '5s',
        container: 'pg',
        image: 'bb:1',
        imagePullPolicy: 'Always',
        uid: '999',
        gid: '998',
        profile: 'baseline',
        env: ['A=1'],
        new: true,
        timeout: '1m',
        idleTimeout: '5m',
        dryRun: 'server',
        output: 'yaml',
        quiet: true,
        tty: true,
      },
    },
  ])('$name', ({ argv, want }) => {
    expect(defined(parseArgs(argv))).toStrictEqual(want);
  });

  it('returns every RawArgs key', () => {
    expect(Object.keys(parseArgs(['web-1'])).sort()).toEqual(
      [
        'target', 'command', 'namespace', 'context', 'kubeconfig', 'cluster', 'user', 'as', 'asGroup', 'requestTimeout', 'container',
        'image', 'imagePullPolicy', 'uid', 'gid', 'profile', 'env', 'new', 'timeout', 'idleTimeout', 'dryRun', 'output', 'quiet',
        'verbose', 'tty',
      ].sort(),
    );
  });

  it.each([
    { name: 'unknown long flag', argv: ['--bogus', 'web-1'], message: 'Unknown argument: --bogus; see --help' },
    { name: 'unknown short flag', argv: ['-x', 'web-1'], message: 'Unknown argument: -x; see --help' },
    { name: 'no boolean negation', argv: ['web-1', '--no-new'], message: 'Unknown argument: --no-new; see --help' },
    { name: 'two positionals', argv: ['web-1', 'ls'], message: 'one target expected, got "web-1 ls"; put a command after --, e.g. -- ls -l' },
    { name: 'three positionals', argv: ['web-1', 'ls', '/etc'], message: 'one target expected, got "web-1 ls /etc"; put a command after --, e.g. -- ls -l' },
    { name: '--dry-run server (kubectl needs =)', argv: ['--dry-run', 'server', 'web-1'], message: 'write --dry-run=server with "=": a separate word after --dry-run is read as the pod name' },
  ])('UsageError: $name', ({ argv, message }) => {
    expect(usageError(() => parseArgs(argv)).message).toBe(message);
  });

  // Defect 11: a flag with no value must never be dropped or swallow the next flag.
  it.each([
    { argv: ['web-1', '--as', '--', 'id', '-u'], message: 'flag --as needs a value, e.g. --as USER; see --help' },
    { argv: ['web-1', '--context'], message: 'flag --context needs a value, e.g. --context NAME; see --help' },
    { argv: ['--kubeconfig', '--context', 'admin', 'web-1'], message: 'flag --kubeconfig needs a value, e.g. --kubeconfig FILE; see --help' },
    { argv: ['web-1', '-n'], message: 'flag -n needs a value, e.g. -n NAMESPACE; see --help' },
    { argv: ['web-1', '-qn'], message: 'flag -n needs a value, e.g. -n NAMESPACE; see --help' },
    { argv: ['web-1', '-n', '-q'], message: 'flag -n needs a value, e.g. -n NAMESPACE; see --help' },
    { argv: ['web-1', '-c', ''], message: 'flag -c has an empty value; give one, e.g. -c NAME' },
    { argv: ['web-1', '--container='], message: 'flag --container has an empty value; give one, e.g. --container NAME' },
    { argv: ['web-1', '-c='], message: 'flag -c has an empty value; give one, e.g. -c NAME' },
    { argv: ['web-1', '--as='], message: 'flag --as has an empty value; give one, e.g. --as USER' },
    { argv: ['web-1', '--namespace', ''], message: 'flag --namespace has an empty value; give one, e.g. --namespace NAMESPACE' },
    { argv: ['web-1', '--image'], message: 'flag --image needs a value, e.g. --image IMAGE; see --help' },
    { argv: ['web-1', '--env', '--new'], message: 'flag --env needs a value, e.g. --env NAME=VALUE; see --help' },
    { argv: ['web-1', '--timeout', '--', 'true'], message: 'flag --timeout needs a value, e.g. --timeout 2m; see --help' },
    { argv: ['web-1', '-o'], message: 'flag -o needs a value, e.g. -o yaml; see --help' },
    { argv: ['web-1', '--dry-run='], message: 'flag --dry-run has an empty value; give one, e.g. --dry-run server' },
    { argv: ['web-1', '--dry-run', 'client'], message: 'write --dry-run=client with "=": a separate word after --dry-run is read as the pod name' },
  ])('refuses a flag without a value: $argv', ({ argv, message }) => {
    expect(usageError(() => parseArgs(argv)).message).toBe(message);
  });

  it.each<{ argv: string[]; want: Partial<RawArgs> }>([
    { argv: ['web-1', '--timeout', '-1s'], want: { timeout: '-1s' } },
    { argv: ['web-1', '--uid', '-1'], want: { uid: '-1' } },
    { argv: ['web-1', '--idle-timeout', '-.5s'], want: { idleTimeout: '-.5s' } },
    { argv: ['-ndemo', 'web-1'], want: { namespace: 'demo' } },
    { argv: ['-qn', 'demo', 'web-1'], want: { namespace: 'demo', quiet: true } },
    { argv: ['-qndemo', 'web-1'], want: { namespace: 'demo', quiet: true } },
    { argv: ['web-1', '-capp'], want: { container: 'app' } },
    { argv: ['web-1', '-n', '-'], want: { namespace: '-' } },
    { argv: ['web-1', '--env', 'A=-1'], want: { env: ['A=-1'] } },
  ])('keeps the value: $argv', ({ argv, want }) => {
    expect(defined(parseArgs(argv))).toEqual({ target: 'web-1', command: [], ...want });
  });

  // BUG: src/cli/args.ts parseArgs: strictOptions() fails before the positional check, so the commonest
  // mistake, a command with a flag but without `--` (`web-1 ls -l /`), gets "Unknown argument: l; see --help"
  // instead of the message written for it ("one target expected, ...; put a command after --").
  it('a command with flags but without -- gets the "put a command after --" hint', () => {
    expect(usageError(() => parseArgs(['web-1', 'ls', '-l', '/'])).message).toMatch(
      /^one target expected, got "web-1 ls.*"; put a command after --, e\.g\. -- ls -l$/,
    );
  });

  // BUG: src/cli/args.ts: yargs number parsing is left on, so words after `--` that look like numbers are
  // rewritten: `-- printf 1e3 0x10 1.50` reaches the container as ["printf", "1000", "16", "1.5"].
  // (Fix: parserConfiguration 'parse-numbers': false / 'parse-positional-numbers': false.)
  it('passes numeric-looking command words through untouched', () => {
    expect(parseArgs(['web-1', '--', 'printf', '1e3', '0x10', '1.50', '1.0']).command).toEqual(['printf', '1e3', '0x10', '1.50', '1.0']);
  });

  // BUG: same cause: a pod named "1e3" (a valid DNS-1123 name) becomes target "1000"; "0x1f" becomes "31".
  it.each(['1e3', '0x1f'])('keeps a numeric-looking pod name %s', (name) => {
    expect(parseArgs([name]).target).toBe(name);
  });

  // BUG: src/cli/args.ts: `env` and `as-group` are declared `array: true`, which makes yargs greedy: in
  // `--env A=1 web-1` the pod name is swallowed as a second --env value (env ["A=1","web-1"], no target),
  // so toOptions then fails with `--env "web-1" must look like NAME=value`. kubectl's --env/--as-group take
  // one value per flag.
  it.each([
    { argv: ['--env', 'A=1', 'web-1'], want: { target: 'web-1', command: [], env: ['A=1'] } },
    { argv: ['--as-group', 'devs', 'web-1'], want: { target: 'web-1', command: [], asGroup: ['devs'] } },
  ])('a repeated-value flag before the pod name does not swallow it: $argv', ({ argv, want }) => {
    expect(defined(parseArgs(argv))).toStrictEqual(want);
  });
});

describe("kubectl's global flags", () => {
  it('are parsed with their kubectl names', () => {
    const r = parseArgs([
      'web-1', '-s', 'https://h:6443', '--token=t', '--certificate-authority', '/ca', '--client-certificate', '/c', '--client-key', '/k',
      '--insecure-skip-tls-verify', '--tls-server-name', 'api', '--as-uid', '42', '--username', 'u', '--password', 'p',
      '--cache-dir', '/tmp/c', '--disable-compression', '--warnings-as-errors', '--match-server-version', '--log-flush-frequency', '5s',
      '--vmodule', 'x=2', '--profile-output', 'p.out', '--kuberc', '/rc',
    ]);
    expect(r.target).toBe('web-1');
    expect(r.kubectlFlags).toEqual({
      server: 'https://h:6443', token: 't', 'certificate-authority': '/ca', 'client-certificate': '/c', 'client-key': '/k',
      'insecure-skip-tls-verify': true, 'tls-server-name': 'api', 'as-uid': '42', username: 'u', password: 'p',
      'cache-dir': '/tmp/c', 'disable-compression': true, 'warnings-as-errors': true, 'match-server-version': true,
      'log-flush-frequency': '5s', vmodule: 'x=2', 'profile-output': 'p.out', kuberc: '/rc',
    });
  });
  it('-sURL and --insecure-skip-tls-verify=false', () => {
    expect(parseArgs(['web-1', '-shttps://h', '--insecure-skip-tls-verify=false']).kubectlFlags).toEqual({ server: 'https://h', 'insecure-skip-tls-verify': false });
  });
  it('-v 6 (a space) is a level, not a second target', () => {
    expect(parseArgs(['-v', '6', 'web-1'])).toMatchObject({ target: 'web-1', verbose: true });
    expect(parseArgs(['web-1', '--v', '9'])).toMatchObject({ target: 'web-1', verbose: true });
  });
  it('a value flag without its value names the flag', () => {
    expect(() => parseArgs(['web-1', '--token'])).toThrow('flag --token needs a value, e.g. --token TOKEN; see --help');
    expect(() => parseArgs(['web-1', '-s'])).toThrow('flag -s needs a value, e.g. -s https://HOST:6443; see --help');
  });
});
