/**
 * The bad-input table: every input here must fail with exactly this first
 * line on stderr and this exit code, print no stack trace, and leave the
 * named pod without any ephemeral container. test/e2e/bad-input.test.ts runs
 * each one through the real executable on the real cluster; docs/errors.md is
 * generated from this table (scripts/gen-errors-doc.mjs) and states nothing
 * else.
 *
 * `{name}` placeholders stand for the fixtures the suite creates fresh for
 * each run (see FixtureNames); they are kept as they are in docs/errors.md.
 */

export type Group =
  | 'Flags without a value'
  | 'Flags and values'
  | 'Images and environment'
  | 'Durations'
  | 'Targets and names'
  | 'Not found'
  | 'kubeconfig'
  | 'Credentials and connection'
  | '--dry-run'
  | 'Target state'
  | 'Access'
  | 'The record, list and stop'
  | 'cp'
  | '--copy-to';

/** Fixture pods in namespace demo (fresh per run), and what they are. */
export const FIXTURE_PODS = {
  running: 'a running nonroot app',
  pending: 'a pod that cannot be scheduled (Pending)',
  succeeded: 'a pod whose only container exited 0 (Succeeded)',
  failed: 'a pod whose only container exited 1, restartPolicy Never (Failed)',
  crash: 'the :crash fixture in CrashLoopBackOff',
  terminating: 'a pod being deleted, held by a finalizer',
  'psa-pod': 'a root app in namespace {psa-ns}, whose Pod Security level was raised to restricted after it started',
} as const;
export type FixturePod = keyof typeof FIXTURE_PODS;

/** Every placeholder a case may use. */
export interface FixtureNames extends Record<FixturePod, string> {
  /** A scratch directory with the kubeconfig files and credential plugins below. */
  dir: string;
  'psa-ns': string;
  /** A deployment scaled to 0. */
  deploy0: string;
}

export interface BadInputCase {
  /** What is wrong with the input, for docs/errors.md. */
  title: string;
  group: Group;
  /** The plugin's arguments (the suite prepends -q unless `quiet` is false, so the error is the first line). */
  args: string[];
  env?: Record<string, string>;
  /** Run as this non-root user (for unreadable files). */
  user?: 'nobody';
  code: number;
  /** The exact first line of stderr. */
  line: string;
  /** The fixture pod that must be left without any ephemeral container (default: the fixture pod the arguments name). */
  unchanged?: FixturePod;
  quiet?: false;
}

const RUNNING = ['-n', 'demo', '{running}'];
const USAGE = 64;
const CONFIG = 65;
const NOT_FOUND = 66;
const AMBIGUOUS = 67;
const NOT_RUNNING = 68;
const FORBIDDEN = 70;
const POD_SECURITY = 71;
const TIMEOUT = 73;
const API = 78;

const needs = (flag: string, hint: string) => `error: flag ${flag} needs a value, e.g. ${flag} ${hint}; see --help`;
const empty = (flag: string, hint: string) => `error: flag ${flag} has an empty value; give one, e.g. ${flag} ${hint}`;
const badImage = (image: string, why: string, source = '--image') =>
  `error: ${source} "${image}" is not a valid image reference (${why}); use e.g. docker.io/library/busybox:1.37.0`;
const notDuration = (flag: string, v: string, zero: string) =>
  `error: ${flag} "${v}" is not a duration; use a number with a unit (ns, us, ms, s, m, h) like 30s, 2m or 1h30m, or 0 for ${zero}`;
const negative = (flag: string, v: string, zero: string) => `error: ${flag} "${v}" is negative; use a positive duration like 30s, or 0 for ${zero}`;
const badName = (name: string, what: string) =>
  `error: "${name}" cannot be a ${what} name: names are at most 253 lower-case letters, digits, "-" and ".", starting and ending with a letter or digit; check the name`;
const badKind = (ref: string) => `error: cannot debug "${ref}": use a pod name or pod/, deploy/, sts/, ds/, rs/ or job/ followed by a name`;
const envName = (kv: string, key: string) =>
  `error: --env "${kv}": "${key}" is not a valid variable name; use letters, digits, "_", "-" and ".", not starting with a digit`;
const reserved = (key: string) => `error: --env ${key}: names starting with DD_ are reserved for the debugger's own settings; pick another name`;
const notFoundIn = (what: string) => `error: ${what} not found in namespace "demo"; check the name, or -n/--namespace`;
const CONTEXTS = 'admin, debugger, viewer, attacher';

export const CASES: BadInputCase[] = [
  // Defect 11: a flag with no value is a usage error naming the flag.
  ...(
    [
      ['--as', 'USER', ['--', 'id', '-u']],
      ['--context', 'NAME', []],
      ['--kubeconfig', 'FILE', []],
      ['--cluster', 'NAME', []],
      ['--user', 'NAME', []],
      ['--as-group', 'GROUP', []],
      ['--request-timeout', '30s', []],
      ['--image', 'IMAGE', []],
      ['--image-pull-policy', 'IfNotPresent', []],
      ['--uid', '65532', []],
      ['--gid', '65532', []],
      ['--profile', 'restricted', []],
      ['--env', 'NAME=VALUE', []],
      ['--timeout', '2m', ['--', 'true']],
      ['--idle-timeout', '10m', []],
      ['-n', 'NAMESPACE', []],
      ['--namespace', 'NAMESPACE', []],
      ['-c', 'NAME', []],
      ['-o', 'yaml', []],
    ] as const
  ).map(
    ([flag, hint, rest]): BadInputCase => ({
      title: `${flag} with no value`,
      group: 'Flags without a value',
      args: [...RUNNING, flag, ...rest],
      code: USAGE,
      line: needs(flag, hint),
      unchanged: 'running',
    }),
  ),
  { title: '--context followed by another flag', group: 'Flags without a value', args: ['--context', '-n', 'demo', '{running}'], code: USAGE, line: needs('--context', 'NAME'), unchanged: 'running' },
  { title: '-n followed by another flag', group: 'Flags without a value', args: ['{running}', '-n', '--new'], code: USAGE, line: needs('-n', 'NAMESPACE'), unchanged: 'running' },
  { title: '-qn at the end (short flags run together)', group: 'Flags without a value', args: ['{running}', '-qn'], code: USAGE, line: needs('-n', 'NAMESPACE'), unchanged: 'running' },
  { title: "-c ''", group: 'Flags without a value', args: [...RUNNING, '-c', ''], code: USAGE, line: empty('-c', 'NAME'), unchanged: 'running' },
  { title: '--container=', group: 'Flags without a value', args: [...RUNNING, '--container='], code: USAGE, line: empty('--container', 'NAME'), unchanged: 'running' },
  { title: "-n ''", group: 'Flags without a value', args: ['{running}', '-n', ''], code: USAGE, line: empty('-n', 'NAMESPACE'), unchanged: 'running' },
  { title: '--as= (an unset variable in a script)', group: 'Flags without a value', args: [...RUNNING, '--as=', '--', 'id', '-u'], code: USAGE, line: empty('--as', 'USER'), unchanged: 'running' },
  { title: '--context=', group: 'Flags without a value', args: [...RUNNING, '--context='], code: USAGE, line: empty('--context', 'NAME'), unchanged: 'running' },
  { title: "--kubeconfig ''", group: 'Flags without a value', args: [...RUNNING, '--kubeconfig', ''], code: USAGE, line: empty('--kubeconfig', 'FILE'), unchanged: 'running' },
  { title: '--dry-run=', group: 'Flags without a value', args: [...RUNNING, '--dry-run='], code: USAGE, line: empty('--dry-run', 'server'), unchanged: 'running' },

  // Flags and values.
  { title: 'an unknown long flag', group: 'Flags and values', args: [...RUNNING, '--bogus'], code: USAGE, line: 'error: Unknown argument: --bogus; see --help' },
  { title: 'an unknown short flag', group: 'Flags and values', args: [...RUNNING, '-x'], code: USAGE, line: 'error: Unknown argument: -x; see --help' },
  { title: 'boolean negation (--no-new)', group: 'Flags and values', args: [...RUNNING, '--no-new'], code: USAGE, line: 'error: Unknown argument: --no-new; see --help' },
  { title: 'a command without --', group: 'Flags and values', args: [...RUNNING, 'ls', '-l'], code: USAGE, line: 'error: one target expected, got "{running} ls"; put a command after --, e.g. -- ls -l' },
  { title: 'two targets', group: 'Flags and values', args: ['-n', 'demo', '{running}', '{pending}'], code: USAGE, line: 'error: one target expected, got "{running} {pending}"; put a command after --, e.g. -- ls -l' },
  { title: 'no arguments at all (as kubectl debug: one line, not the whole help)', group: 'Flags and values', args: [], quiet: false, code: USAGE, line: 'error: missing the pod to debug: kubectl distroless-debug POD (or deploy/NAME); see --help' },
  { title: 'no target', group: 'Flags and values', args: ['-n', 'demo', '--', 'true'], code: USAGE, line: 'error: missing the pod to debug: kubectl distroless-debug POD (or deploy/NAME); see --help' },
  { title: '-q with -v', group: 'Flags and values', args: [...RUNNING, '-v'], code: USAGE, line: 'error: -q/--quiet and -v/--verbose cannot be used together' },
  { title: '--uid that is a name', group: 'Flags and values', args: [...RUNNING, '--uid', 'nonroot'], code: USAGE, line: 'error: --uid must be a numeric ID such as 65532, got "nonroot"' },
  { title: 'a negative --uid', group: 'Flags and values', args: [...RUNNING, '--uid', '-1'], code: USAGE, line: 'error: --uid must be a numeric ID such as 65532, got "-1"' },
  { title: '--uid past 2^31-1', group: 'Flags and values', args: [...RUNNING, '--uid', '2147483648'], code: USAGE, line: 'error: --uid must be a numeric ID such as 65532, got "2147483648"' },
  { title: 'a fractional --gid', group: 'Flags and values', args: [...RUNNING, '--uid', '1', '--gid', '1.5'], code: USAGE, line: 'error: --gid must be a numeric ID such as 65532, got "1.5"' },
  {
    title: '--gid without --uid',
    group: 'Flags and values',
    args: [...RUNNING, '--gid', '1000', '--', 'id'],
    code: USAGE,
    line: "error: --gid needs --uid too: the debugger must match the target's UID and GID; pass both (e.g. --uid 1000 --gid 1000), or neither to use the detected identity",
    unchanged: 'running',
  },
  { title: '--uid 0 with --profile restricted', group: 'Flags and values', args: [...RUNNING, '--uid', '0', '--profile', 'restricted', '--', 'true'], code: USAGE, line: 'error: --uid 0 asks for a root debugger, which --profile restricted never runs; drop --uid 0, or use --profile baseline', unchanged: 'running' },
  { title: 'an unknown --profile', group: 'Flags and values', args: [...RUNNING, '--profile', 'root'], code: USAGE, line: 'error: --profile must be one of auto, restricted, baseline, general; got "root"' },
  { title: '--image-pull-policy in the wrong case', group: 'Flags and values', args: [...RUNNING, '--image-pull-policy', 'always'], code: USAGE, line: 'error: --image-pull-policy must be one of Always, IfNotPresent, Never; got "always"' },
  { title: '--as-group without --as', group: 'Flags and values', args: [...RUNNING, '--as-group', 'devs'], code: USAGE, line: 'error: --as-group needs a user to impersonate; pass --as USER too', unchanged: 'running' },

  // Defect 12: images and environment, checked before the patch.
  { title: 'an image with upper case and a space in the tag', group: 'Images and environment', args: [...RUNNING, '--image', 'UPPER/Case:bad tag', '--', 'true'], code: USAGE, line: badImage('UPPER/Case:bad tag', 'it contains white space'), unchanged: 'running' },
  { title: 'an upper-case repository', group: 'Images and environment', args: [...RUNNING, '--image', 'BusyBox:1.37.0'], code: USAGE, line: badImage('BusyBox:1.37.0', 'the repository name must be lower case'), unchanged: 'running' },
  { title: 'a tag starting with "-"', group: 'Images and environment', args: [...RUNNING, '--image', 'busybox:-1'], code: USAGE, line: badImage('busybox:-1', 'the tag after ":" must be 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"'), unchanged: 'running' },
  { title: 'a tag with a slash', group: 'Images and environment', args: [...RUNNING, '--image', 'busybox:1.37/x'], code: USAGE, line: badImage('busybox:1.37/x', 'expected [REGISTRY/]REPOSITORY[:TAG][@DIGEST]'), unchanged: 'running' },
  { title: 'a short sha256 digest', group: 'Images and environment', args: [...RUNNING, '--image', 'busybox@sha256:abc'], code: USAGE, line: badImage('busybox@sha256:abc', 'the digest after "@" must be sha256: and 64 lower-case hex digits'), unchanged: 'running' },
  { title: 'a digest that is not ALGORITHM:HEX', group: 'Images and environment', args: [...RUNNING, '--image', 'busybox@latest'], code: USAGE, line: badImage('busybox@latest', 'the digest after "@" is not ALGORITHM:HEX'), unchanged: 'running' },
  { title: 'a registry port that is not a number', group: 'Images and environment', args: [...RUNNING, '--image', 'localhost:port/busybox'], code: USAGE, line: badImage('localhost:port/busybox', 'expected [REGISTRY/]REPOSITORY[:TAG][@DIGEST]'), unchanged: 'running' },
  { title: 'an invalid DISTROLESS_DEBUG_IMAGE', group: 'Images and environment', args: [...RUNNING], env: { DISTROLESS_DEBUG_IMAGE: 'Busy Box' }, code: USAGE, line: badImage('Busy Box', 'it contains white space', 'DISTROLESS_DEBUG_IMAGE'), unchanged: 'running' },
  { title: '--image with --dry-run=server is still checked first', group: 'Images and environment', args: [...RUNNING, '--image', 'UPPER/Case:bad tag', '--dry-run=server'], code: USAGE, line: badImage('UPPER/Case:bad tag', 'it contains white space'), unchanged: 'running' },
  { title: '--env DD_PROC (reserved prefix)', group: 'Images and environment', args: [...RUNNING, '--env', 'DD_PROC=/nope', '--', 'true'], code: USAGE, line: reserved('DD_PROC'), unchanged: 'running' },
  { title: '--env DD_IDLE_TIMEOUT (reserved prefix)', group: 'Images and environment', args: [...RUNNING, '--env', 'DD_IDLE_TIMEOUT=0'], code: USAGE, line: reserved('DD_IDLE_TIMEOUT'), unchanged: 'running' },
  { title: '--env without "="', group: 'Images and environment', args: [...RUNNING, '--env', 'FOO'], code: USAGE, line: 'error: --env "FOO" has no "="; write it as NAME=VALUE, e.g. --env LOG_LEVEL=debug', unchanged: 'running' },
  { title: '--env= (empty)', group: 'Images and environment', args: [...RUNNING, '--env='], code: USAGE, line: empty('--env', 'NAME=VALUE') },
  { title: '--env =x', group: 'Images and environment', args: [...RUNNING, '--env', '=x'], code: USAGE, line: envName('=x', ''), unchanged: 'running' },
  { title: '--env name starting with a digit', group: 'Images and environment', args: [...RUNNING, '--env', '1A=x'], code: USAGE, line: envName('1A=x', '1A'), unchanged: 'running' },
  { title: '--env name with a space', group: 'Images and environment', args: [...RUNNING, '--env', 'A B=x'], code: USAGE, line: envName('A B=x', 'A B'), unchanged: 'running' },
  { title: '--env name ".."', group: 'Images and environment', args: [...RUNNING, '--env', '..=x'], code: USAGE, line: envName('..=x', '..'), unchanged: 'running' },

  // Defect 13: one duration parser, kubectl's rules.
  { title: '--timeout -1s', group: 'Durations', args: [...RUNNING, '--timeout', '-1s'], code: USAGE, line: negative('--timeout', '-1s', 'no limit'), unchanged: 'running' },
  { title: '--timeout=-1', group: 'Durations', args: [...RUNNING, '--timeout=-1'], code: USAGE, line: negative('--timeout', '-1', 'no limit'), unchanged: 'running' },
  { title: '--timeout 1000h (past a Node timer)', group: 'Durations', args: [...RUNNING, '--timeout', '1000h', '--', 'true'], code: USAGE, line: 'error: --timeout "1000h" is too long; the most is 596h31m23.647s (or 0 for no limit)', unchanged: 'running' },
  { title: '--timeout 24d (no unit d)', group: 'Durations', args: [...RUNNING, '--timeout', '24d'], code: USAGE, line: notDuration('--timeout', '24d', 'no limit'), unchanged: 'running' },
  { title: '--timeout 1.5 (a fraction needs a unit)', group: 'Durations', args: [...RUNNING, '--timeout', '1.5'], code: USAGE, line: notDuration('--timeout', '1.5', 'no limit'), unchanged: 'running' },
  { title: '--timeout soon', group: 'Durations', args: [...RUNNING, '--timeout', 'soon'], code: USAGE, line: notDuration('--timeout', 'soon', 'no limit'), unchanged: 'running' },
  { title: '--timeout "1h 30m"', group: 'Durations', args: [...RUNNING, '--timeout', '1h 30m'], code: USAGE, line: notDuration('--timeout', '1h 30m', 'no limit'), unchanged: 'running' },
  { title: '--timeout 5S (units are lower case)', group: 'Durations', args: [...RUNNING, '--timeout', '5S'], code: USAGE, line: notDuration('--timeout', '5S', 'no limit'), unchanged: 'running' },
  { title: '--idle-timeout -5m', group: 'Durations', args: [...RUNNING, '--idle-timeout', '-5m'], code: USAGE, line: negative('--idle-timeout', '-5m', 'never'), unchanged: 'running' },
  { title: '--idle-timeout 10d', group: 'Durations', args: [...RUNNING, '--idle-timeout', '10d'], code: USAGE, line: notDuration('--idle-timeout', '10d', 'never'), unchanged: 'running' },
  { title: '--idle-timeout 1e3', group: 'Durations', args: [...RUNNING, '--idle-timeout', '1e3'], code: USAGE, line: notDuration('--idle-timeout', '1e3', 'never'), unchanged: 'running' },
  { title: '--request-timeout 1.5 (kubectl refuses it too)', group: 'Durations', args: [...RUNNING, '--request-timeout', '1.5'], code: USAGE, line: notDuration('--request-timeout', '1.5', 'no timeout'), unchanged: 'running' },
  { title: '--request-timeout -1 (kubectl refuses it too)', group: 'Durations', args: [...RUNNING, '--request-timeout', '-1'], code: USAGE, line: negative('--request-timeout', '-1', 'no timeout'), unchanged: 'running' },
  { title: '--request-timeout 24d (kubectl refuses it too)', group: 'Durations', args: [...RUNNING, '--request-timeout', '24d'], code: USAGE, line: notDuration('--request-timeout', '24d', 'no timeout'), unchanged: 'running' },

  // Targets and names.
  { title: 'an unsupported kind', group: 'Targets and names', args: ['-n', 'demo', 'svc/web'], code: USAGE, line: badKind('svc/web') },
  { title: 'cronjob/ (not a kind with pods of its own)', group: 'Targets and names', args: ['-n', 'demo', 'cronjob/nightly'], code: USAGE, line: badKind('cronjob/nightly') },
  { title: 'a kind with no name', group: 'Targets and names', args: ['-n', 'demo', 'deploy/'], code: USAGE, line: 'error: "deploy/" is not a valid name; expected KIND/NAME' },
  { title: 'a name with two slashes', group: 'Targets and names', args: ['-n', 'demo', 'pod/a/b'], code: USAGE, line: 'error: "pod/a/b" is not a valid name; expected KIND/NAME' },
  { title: 'a leading slash', group: 'Targets and names', args: ['-n', 'demo', '/web'], code: USAGE, line: badKind('/web') },
  { title: 'an upper-case pod name', group: 'Targets and names', args: ['-n', 'demo', 'Web-1'], code: USAGE, line: badName('Web-1', 'pod') },
  { title: 'a pod name with an underscore', group: 'Targets and names', args: ['-n', 'demo', 'web_1'], code: USAGE, line: badName('web_1', 'pod') },
  { title: 'a deployment name starting with "-"', group: 'Targets and names', args: ['-n', 'demo', 'deploy/-x'], code: USAGE, line: badName('-x', 'deployment') },
  { title: 'a name longer than 253 characters', group: 'Targets and names', args: ['-n', 'demo', 'a'.repeat(254)], code: USAGE, line: badName('a'.repeat(254), 'pod') },
  {
    title: 'an upper-case namespace',
    group: 'Targets and names',
    args: ['-n', 'Demo', '{running}'],
    code: USAGE,
    line: 'error: -n/--namespace "Demo" cannot be a namespace: namespaces are at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit',
  },
  {
    title: 'a namespace with a dot',
    group: 'Targets and names',
    args: ['-n', 'de.mo', '{running}'],
    code: USAGE,
    line: 'error: -n/--namespace "de.mo" cannot be a namespace: namespaces are at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit',
  },

  // Everything that can be missing.
  { title: 'a pod that does not exist', group: 'Not found', args: ['-n', 'demo', 'no-such-pod'], code: NOT_FOUND, line: notFoundIn('pod "no-such-pod"') },
  { title: 'pod/ with a pod that does not exist', group: 'Not found', args: ['-n', 'demo', 'pod/no-such-pod'], code: NOT_FOUND, line: notFoundIn('pod "no-such-pod"') },
  { title: 'a namespace that does not exist', group: 'Not found', args: ['-n', 'no-such-ns', '{running}'], code: NOT_FOUND, line: 'error: namespace "no-such-ns" not found; check -n/--namespace or your context\'s namespace' },
  { title: 'the pod in another namespace', group: 'Not found', args: ['-n', 'default', '{running}'], code: NOT_FOUND, line: 'error: pod "{running}" not found in namespace "default"; check the name, or -n/--namespace' },
  { title: 'a container that does not exist', group: 'Not found', args: [...RUNNING, '-c', 'nope', '--', 'true'], code: NOT_FOUND, line: 'error: container "nope" not found in pod {running}; its containers are: app', unchanged: 'running' },
  { title: 'a container name in the wrong case', group: 'Not found', args: [...RUNNING, '-c', 'App'], code: NOT_FOUND, line: 'error: container "App" not found in pod {running}; its containers are: app', unchanged: 'running' },
  { title: 'a deployment that does not exist', group: 'Not found', args: ['-n', 'demo', 'deploy/nope'], code: NOT_FOUND, line: notFoundIn('deployment "nope"') },
  { title: 'a statefulset that does not exist', group: 'Not found', args: ['-n', 'demo', 'sts/nope'], code: NOT_FOUND, line: notFoundIn('statefulset "nope"') },
  { title: 'a daemonset that does not exist', group: 'Not found', args: ['-n', 'demo', 'ds/nope'], code: NOT_FOUND, line: notFoundIn('daemonset "nope"') },
  { title: 'a replicaset that does not exist', group: 'Not found', args: ['-n', 'demo', 'rs/nope'], code: NOT_FOUND, line: notFoundIn('replicaset "nope"') },
  { title: 'a job that does not exist', group: 'Not found', args: ['-n', 'demo', 'job/nope'], code: NOT_FOUND, line: notFoundIn('job "nope"') },
  { title: 'a deployment in a namespace that does not exist', group: 'Not found', args: ['-n', 'no-such-ns', 'deploy/nope'], code: NOT_FOUND, line: 'error: namespace "no-such-ns" not found; check -n/--namespace or your context\'s namespace' },
  { title: 'a deployment with no pods', group: 'Not found', args: ['-n', 'demo', 'deploy/{deploy0}'], code: AMBIGUOUS, line: 'error: deploy/{deploy0} has no pods; scale it up or name a pod directly' },
  { title: 'po/ with a pod that does not exist', group: 'Not found', args: ['-n', 'demo', 'po/no-such-pod'], code: NOT_FOUND, line: notFoundIn('pod "no-such-pod"') },
  { title: 'deployments.apps/ that does not exist', group: 'Not found', args: ['-n', 'demo', 'deployments.apps/nope'], code: NOT_FOUND, line: notFoundIn('deployment "nope"') },
  { title: "the context's namespace does not exist (for a user who may not read namespaces)", group: 'Not found', args: ['--kubeconfig', '{dir}/ctx-ns.yaml', '{running}'], code: NOT_FOUND, line: 'error: pod "{running}" not found in namespace "no-such-ns"; check the name, or -n/--namespace' },
  { title: "the pod is not in the context's namespace", group: 'Not found', args: ['--kubeconfig', '{dir}/ctx-default.yaml', '{running}'], code: NOT_FOUND, line: 'error: pod "{running}" not found in namespace "default"; check the name, or -n/--namespace' },
  { title: 'a context that does not exist', group: 'Not found', args: ['--context', 'nope', ...RUNNING], code: CONFIG, line: `error: context "nope" not found in kubeconfig; available: ${CONTEXTS}` },
  { title: 'a cluster that does not exist', group: 'Not found', args: ['--cluster', 'nope', ...RUNNING], code: CONFIG, line: 'error: cluster "nope" not found in kubeconfig; available: local' },
  { title: 'a user that does not exist', group: 'Not found', args: ['--user', 'nope', ...RUNNING], code: CONFIG, line: `error: user "nope" not found in kubeconfig; available: ${CONTEXTS}` },

  // kubeconfig files.
  { title: '--kubeconfig naming a missing file', group: 'kubeconfig', args: ['--kubeconfig', '{dir}/missing.yaml', ...RUNNING], code: CONFIG, line: 'error: cannot read kubeconfig {dir}/missing.yaml given by --kubeconfig (file not found); check the path' },
  { title: '--kubeconfig naming a directory', group: 'kubeconfig', args: ['--kubeconfig', '{dir}', ...RUNNING], code: CONFIG, line: 'error: cannot read kubeconfig {dir} given by --kubeconfig (it is a directory); check the path' },
  { title: 'KUBECONFIG listing only missing files', group: 'kubeconfig', args: RUNNING, env: { KUBECONFIG: '{dir}/a.yaml:{dir}/b.yaml' }, code: CONFIG, line: 'error: no kubeconfig found: none of the KUBECONFIG files exist ({dir}/a.yaml, {dir}/b.yaml); set KUBECONFIG or pass --kubeconfig' },
  { title: 'no KUBECONFIG and no ~/.kube/config', group: 'kubeconfig', args: RUNNING, env: { KUBECONFIG: '', HOME: '{dir}/home' }, code: CONFIG, line: 'error: no kubeconfig found: {dir}/home/.kube/config does not exist; set KUBECONFIG or pass --kubeconfig' },
  { title: 'an empty kubeconfig', group: 'kubeconfig', args: ['--kubeconfig', '{dir}/empty.yaml', ...RUNNING], code: CONFIG, line: 'error: no current context in kubeconfig; pass --context NAME or run `kubectl config use-context NAME`' },
  { title: 'a kubeconfig that is not YAML', group: 'kubeconfig', args: ['--kubeconfig', '{dir}/invalid.yaml', ...RUNNING], code: CONFIG, line: 'error: cannot parse kubeconfig {dir}/invalid.yaml: unexpected end of the stream within a flow collection (2:1); fix the YAML' },
  { title: 'a kubeconfig that is a YAML list', group: 'kubeconfig', args: ['--kubeconfig', '{dir}/list.yaml', ...RUNNING], code: CONFIG, line: 'error: kubeconfig {dir}/list.yaml is malformed: the top level is not a mapping; fix the file or point KUBECONFIG/--kubeconfig elsewhere' },
  { title: 'a kubeconfig without current-context', group: 'kubeconfig', args: ['--kubeconfig', '{dir}/noctx.yaml', ...RUNNING], code: CONFIG, line: 'error: no current context in kubeconfig; pass --context NAME or run `kubectl config use-context NAME`' },
  { title: 'a current-context that is not defined', group: 'kubeconfig', args: ['--kubeconfig', '{dir}/badctx.yaml', ...RUNNING], code: CONFIG, line: 'error: current context "gone" not found in kubeconfig; pass --context (available: local) or run `kubectl config use-context NAME`' },
  { title: 'a context naming a missing cluster', group: 'kubeconfig', args: ['--kubeconfig', '{dir}/nocluster.yaml', ...RUNNING], code: CONFIG, line: 'error: context "local" uses cluster "gone", which is not in kubeconfig; pass --cluster (available: local) or fix the kubeconfig' },
  { title: 'a context naming a missing user', group: 'kubeconfig', args: ['--kubeconfig', '{dir}/nouser.yaml', ...RUNNING], code: CONFIG, line: 'error: context "local" uses user "gone", which is not in kubeconfig; pass --user (available: local) or fix the kubeconfig' },
  { title: 'a cluster without a server', group: 'kubeconfig', args: ['--kubeconfig', '{dir}/noserver.yaml', ...RUNNING], code: CONFIG, line: 'error: cluster "local" has no server in kubeconfig; add one or pick another context with --context' },
  { title: 'an unreadable --kubeconfig (as a non-root user)', group: 'kubeconfig', user: 'nobody', args: ['--kubeconfig', '{dir}/unreadable.yaml', ...RUNNING], code: CONFIG, line: 'error: cannot read kubeconfig {dir}/unreadable.yaml given by --kubeconfig (permission denied); check the path' },
  { title: 'an unreadable file in KUBECONFIG (as a non-root user)', group: 'kubeconfig', user: 'nobody', args: RUNNING, env: { KUBECONFIG: '{dir}/unreadable.yaml' }, code: CONFIG, line: 'error: cannot read kubeconfig {dir}/unreadable.yaml (permission denied); fix it or remove it from KUBECONFIG' },

  // Credentials and connection.
  { title: 'a rejected token (401)', group: 'Credentials and connection', args: ['--kubeconfig', '{dir}/401.yaml', ...RUNNING, '--', 'true'], code: CONFIG, line: 'error: the API server at {server} did not accept the credentials of user "local" (context "local"): 401 Unauthorized; refresh your credentials (log in again, or renew the token or client certificate in kubeconfig)', unchanged: 'running' },
  { title: 'a certificate authority that did not sign the server', group: 'Credentials and connection', args: ['--kubeconfig', '{dir}/wrong-ca.yaml', ...RUNNING], code: CONFIG, line: 'error: the API server\'s certificate at {server} is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE): its certificate chain does not lead to the certificate authority of cluster "local" (context "local"); fix certificate-authority-data (or certificate-authority) of that cluster entry', unchanged: 'running' },
  { title: 'a tls-server-name the certificate does not name', group: 'Credentials and connection', args: ['--kubeconfig', '{dir}/altname.yaml', ...RUNNING], code: CONFIG, line: 'error: the API server\'s certificate at {server} is not valid for the name it was reached by (ERR_TLS_CERT_ALTNAME_INVALID); use a server address the certificate names, or fix tls-server-name of cluster "local" (context "local")', unchanged: 'running' },
  { title: 'an unreachable server', group: 'Credentials and connection', args: ['--kubeconfig', '{dir}/down.yaml', ...RUNNING], code: API, line: 'error: cannot reach the API server at https://127.0.0.1:1 (ECONNREFUSED); check that the cluster is up and the context is right' },
  { title: 'a missing certificate-authority file', group: 'Credentials and connection', args: ['--kubeconfig', '{dir}/ca-missing.yaml', ...RUNNING], code: CONFIG, line: 'error: cannot read the certificate-authority file {dir}/no-such-ca.crt of cluster "local" (context "local") (file not found); fix the path in that entry' },
  { title: 'a credential plugin that fails', group: 'Credentials and connection', args: ['--kubeconfig', '{dir}/plugin-fail.yaml', ...RUNNING], code: CONFIG, line: 'error: exec credential plugin "{dir}/plugin-fail.sh" for user "local" (context "local") failed: token expired, log in again; run it by hand to see why' },
  { title: 'a credential plugin that is not installed', group: 'Credentials and connection', args: ['--kubeconfig', '{dir}/plugin-missing.yaml', ...RUNNING], code: CONFIG, line: 'error: exec credential plugin "no-such-auth-plugin" for user "local" (context "local") was not found; install it or fix PATH' },
  { title: 'a credential plugin that is not executable', group: 'Credentials and connection', args: ['--kubeconfig', '{dir}/plugin-noexec.yaml', ...RUNNING], code: CONFIG, line: 'error: exec credential plugin "{dir}/plugin-noexec.sh" for user "local" (context "local") could not start (EACCES); check that it is executable' },
  { title: 'a credential plugin that prints no credential', group: 'Credentials and connection', args: ['--kubeconfig', '{dir}/plugin-garbage.yaml', ...RUNNING], code: CONFIG, line: 'error: exec credential plugin "{dir}/plugin-garbage.sh" for user "local" (context "local") printed no usable credential (output is not JSON); run it by hand to see why' },
  { title: 'a credential plugin that hangs, with --request-timeout', group: 'Credentials and connection', args: ['--kubeconfig', '{dir}/plugin-hang.yaml', '--request-timeout', '1s', ...RUNNING], code: TIMEOUT, line: 'error: exec credential plugin "{dir}/plugin-hang.sh" for user "local" (context "local") did not finish within 1s (--request-timeout); run it by hand to see why, or raise --request-timeout', unchanged: 'running' },
  { title: 'impersonating with a user who may not impersonate', group: 'Credentials and connection', args: ['--context', 'debugger', '--as', 'jane', ...RUNNING], code: FORBIDDEN, line: 'error: not allowed to impersonate (--as/--as-group): users "jane" is forbidden: User "dd-debugger" cannot impersonate resource "users" in API group "" at the cluster scope; drop --as/--as-group, or ask your cluster admin for the "impersonate" verb', unchanged: 'running' },

  { title: 'impersonating (--as) a user without rights', group: 'Credentials and connection', args: ['--as', 'jane', ...RUNNING, '--', 'true'], code: FORBIDDEN, line: 'error: not allowed to get pods in namespace "demo" (RBAC); ask your cluster admin for "get pods" (see the README\'s RBAC section)' },

  // --dry-run combinations.
  { title: '--dry-run server (without "=")', group: '--dry-run', args: [...RUNNING, '--dry-run', 'server'], code: USAGE, line: 'error: write --dry-run=server with "=": a separate word after --dry-run is read as the pod name', unchanged: 'running' },
  { title: '--dry-run client (without "=")', group: '--dry-run', args: ['--dry-run', 'client', ...RUNNING], code: USAGE, line: 'error: write --dry-run=client with "=": a separate word after --dry-run is read as the pod name', unchanged: 'running' },
  { title: 'an unknown --dry-run value', group: '--dry-run', args: [...RUNNING, '--dry-run=maybe'], code: USAGE, line: 'error: --dry-run must be one of client, server, none; got "maybe"' },
  { title: '-o without --dry-run', group: '--dry-run', args: [...RUNNING, '-o', 'yaml'], code: USAGE, line: 'error: -o/--output only applies with --dry-run; add --dry-run=client or --dry-run=server', unchanged: 'running' },
  { title: '-o with --dry-run=none', group: '--dry-run', args: [...RUNNING, '--dry-run=none', '-o', 'json'], code: USAGE, line: 'error: -o/--output only applies with --dry-run; add --dry-run=client or --dry-run=server' },
  { title: 'an unknown -o format', group: '--dry-run', args: [...RUNNING, '--dry-run', '-o', 'wide'], code: USAGE, line: 'error: -o/--output must be one of yaml, json; got "wide"' },
  { title: '--dry-run with a command', group: '--dry-run', args: [...RUNNING, '--dry-run', '--', 'id'], code: USAGE, line: 'error: --dry-run runs nothing, so a command after -- would be ignored; drop the command or --dry-run', unchanged: 'running' },
  { title: '--dry-run=server on a Pending pod', group: '--dry-run', args: ['-n', 'demo', '{pending}', '--dry-run=server'], code: NOT_RUNNING, line: 'error: pod {pending} is Pending, not Running; wait for it to start or pick a running pod', unchanged: 'pending' },
  { title: '--dry-run on a pod that does not exist', group: '--dry-run', args: ['-n', 'demo', 'no-such-pod', '--dry-run'], code: NOT_FOUND, line: notFoundIn('pod "no-such-pod"') },
  { title: '--dry-run=server with a container that does not exist', group: '--dry-run', args: [...RUNNING, '-c', 'nope', '--dry-run=server'], code: NOT_FOUND, line: 'error: container "nope" not found in pod {running}; its containers are: app', unchanged: 'running' },

  // The target's state.
  { title: 'a Pending pod', group: 'Target state', args: ['-n', 'demo', '{pending}', '--', 'true'], code: NOT_RUNNING, line: 'error: pod {pending} is Pending, not Running; wait for it to start or pick a running pod', unchanged: 'pending' },
  { title: 'a Succeeded pod', group: 'Target state', args: ['-n', 'demo', '{succeeded}', '--', 'true'], code: NOT_RUNNING, line: 'error: pod {succeeded} has completed (phase Succeeded) and will not run again; read its output with kubectl logs, or debug a copy of it with --copy-to NAME', unchanged: 'succeeded' },
  { title: 'a Failed pod', group: 'Target state', args: ['-n', 'demo', '{failed}', '--', 'true'], code: NOT_RUNNING, line: 'error: pod {failed} has failed (phase Failed) and will not run again; read its output with kubectl logs, or debug a copy of it with --copy-to NAME', unchanged: 'failed' },
  { title: 'a container in CrashLoopBackOff', group: 'Target state', args: ['-n', 'demo', '{crash}', '--', 'true'], code: NOT_RUNNING, line: 'error: container app in pod {crash} is not running (CrashLoopBackOff); a debugger can only join a running container: debug a copy of the pod with --copy-to NAME', unchanged: 'crash' },
  { title: 'a terminating pod', group: 'Target state', args: ['-n', 'demo', '{terminating}', '--', 'true'], code: NOT_RUNNING, line: 'error: pod {terminating} is terminating; debug a pod that is not being deleted', unchanged: 'terminating' },

  // Access.
  { title: 'a user who may only read pods', group: 'Access', args: ['--context', 'viewer', ...RUNNING, '--', 'true'], code: FORBIDDEN, line: 'error: not allowed to debug pods in namespace "demo" (RBAC: missing "patch pods/ephemeralcontainers" and "create pods/exec" (or at least "create pods/attach")); ask your cluster admin (see the README\'s RBAC section)', unchanged: 'running' },
  {
    title: 'Pod Security rejects a pod whose own container breaks the level, when the namespace cannot be read',
    group: 'Access',
    args: ['--context', 'debugger', '-n', '{psa-ns}', '{psa-pod}', '--', 'true'],
    code: POD_SECURITY,
    line: 'error: Pod Security rejected the debugger: "restricted:latest": allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (containers "app", "{debugger}" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or containers "app", "{debugger}" must set securityContext.runAsNonRoot=true), runAsUser=0 (container "{debugger}" must not set runAsUser=0), seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"). It names the pod\'s own container app: this pod does not meet the namespace\'s current Pod Security level (raised after it started), and Pod Security re-checks the whole pod on every patch, so no debugger can be added to it; ask an admin about the namespace\'s level.',
    unchanged: 'psa-pod',
  },

  // Issue 12: the who/when/why record, --record, list and stop.
  { title: '--reason with a newline', group: 'The record, list and stop', args: [...RUNNING, '--reason', 'INC-1\nrm -rf', '--', 'true'], code: USAGE, line: 'error: --reason must be one line of printable text (no newlines or control characters), e.g. --reason "INC-1234"' },
  { title: '--reason with an empty value', group: 'The record, list and stop', args: [...RUNNING, '--reason=', '--', 'true'], code: USAGE, line: empty('--reason', '"INC-1234"') },
  { title: 'DISTROLESS_DEBUG_REASON too long', group: 'The record, list and stop', args: [...RUNNING, '--', 'true'], env: { DISTROLESS_DEBUG_REASON: 'x'.repeat(600) }, code: USAGE, line: 'error: DISTROLESS_DEBUG_REASON is 600 characters long; keep it to 512 (a ticket number and a few words)' },
  { title: '--record without a file', group: 'The record, list and stop', args: [...RUNNING, '--record'], code: USAGE, line: needs('--record', 'session.cast') },
  { title: '--record-input without --record', group: 'The record, list and stop', args: [...RUNNING, '--record-input'], code: USAGE, line: 'error: --record-input needs --record FILE: it adds what you type to that recording' },
  { title: '--record with --dry-run', group: 'The record, list and stop', args: [...RUNNING, '--dry-run', '--record', 'x.cast'], code: USAGE, line: 'error: --dry-run opens no session, so --record would record nothing; drop --record or --dry-run' },
  { title: '--record into a directory that does not exist', group: 'The record, list and stop', args: [...RUNNING, '--record', '/nonexistent-dir/x.cast', '--', 'true'], code: CONFIG, line: 'error: cannot write the recording to /nonexistent-dir/x.cast (ENOENT); pick a writable path for --record' },
  { title: 'list -o with an unknown format', group: 'The record, list and stop', quiet: false, args: ['list', '-n', 'demo', '-o', 'table'], code: USAGE, line: 'error: -o/--output for list must be one of wide, json, yaml; got "table"' },
  { title: 'list with a pod and -A', group: 'The record, list and stop', quiet: false, args: ['list', '-A', '{running}'], code: USAGE, line: 'error: a pod name and -A/--all-namespaces cannot be used together: a pod lives in one namespace; drop one' },
  { title: 'list with an unknown flag', group: 'The record, list and stop', quiet: false, args: ['list', '--bogus'], code: USAGE, line: 'error: unknown flag --bogus for list; see kubectl distroless-debug list --help' },
  { title: 'list of a pod that does not exist', group: 'The record, list and stop', quiet: false, args: ['list', '-n', 'demo', 'no-such-pod'], code: NOT_FOUND, line: notFoundIn('pod "no-such-pod"') },
  { title: 'stop without a pod or --all', group: 'The record, list and stop', quiet: false, args: ['stop', '-n', 'demo'], code: USAGE, line: 'error: stop needs a pod (stop POD [DEBUGGER...]) or --all for every debugger in the namespace; see kubectl distroless-debug stop --help' },
  { title: 'stop with a pod and --all', group: 'The record, list and stop', quiet: false, args: ['stop', '-n', 'demo', '{running}', '--all'], code: USAGE, line: 'error: stop takes either POD [DEBUGGER...] or --all, not both; see kubectl distroless-debug stop --help' },
  { title: 'stop -A without --all', group: 'The record, list and stop', quiet: false, args: ['stop', '-A', '{running}'], code: USAGE, line: 'error: -A/--all-namespaces goes with --all: stop --all -A stops every running debugger everywhere' },
  { title: 'stop a debugger the pod does not have', group: 'The record, list and stop', quiet: false, args: ['stop', '-n', 'demo', '{running}', 'distroless-debug-nope'], code: NOT_FOUND, line: 'error: debugger "distroless-debug-nope" not found in pod {running} (namespace demo); its debuggers are: none' },

  // cp: operands and local paths, checked before anything changes in the cluster.
  { title: 'cp without operands', group: 'cp', quiet: false, args: ['cp', '-q'], code: USAGE, line: 'error: cp needs a source and a destination, got none; e.g. cp POD:/etc/app.conf ./app.conf or cp ./app.conf POD:/tmp/' },
  { title: 'cp with one operand', group: 'cp', quiet: false, args: ['cp', '-q', '{running}:/etc'], code: USAGE, line: 'error: cp needs a source and a destination, got "{running}:/etc"; e.g. cp POD:/etc/app.conf ./app.conf or cp ./app.conf POD:/tmp/' },
  { title: 'cp between two pods', group: 'cp', quiet: false, args: ['cp', '-q', '-n', 'demo', '{running}:/etc/app-secret', '{running}:/tmp/x'], code: USAGE, line: 'error: both "{running}:/etc/app-secret" and "{running}:/tmp/x" name a pod; one side of cp must be a local path', unchanged: 'running' },
  { title: 'cp between two local paths', group: 'cp', quiet: false, args: ['cp', '-q', './a', './b'], code: USAGE, line: 'error: neither "./a" nor "./b" names a pod; write the pod side as POD:/path (or deploy/NAME:/path)' },
  { title: 'cp with a pod and no path', group: 'cp', quiet: false, args: ['cp', '-q', '-n', 'demo', '{running}:', '{dir}/x'], code: USAGE, line: 'error: "{running}:" has no path after ":"; write POD:/path, e.g. {running}:/etc', unchanged: 'running' },
  { title: 'cp with a command after --', group: 'cp', quiet: false, args: ['cp', '-q', '-n', 'demo', '{running}:/etc', '{dir}/x', '--', 'ls'], code: USAGE, line: 'error: cp takes no command after --; write cp SOURCE DESTINATION, e.g. cp POD:/etc/app.conf .', unchanged: 'running' },
  { title: 'cp with --dry-run', group: 'cp', quiet: false, args: ['cp', '-q', '--dry-run', '-n', 'demo', '{running}:/etc', '{dir}/x'], code: USAGE, line: 'error: --dry-run does not apply to cp; see cp --help', unchanged: 'running' },
  { title: 'cp with kubectl\'s NAMESPACE/POD and a different -n', group: 'cp', quiet: false, args: ['cp', '-q', '-n', 'default', 'demo/{running}:/etc', '{dir}/x'], code: USAGE, line: 'error: "demo/{running}:/etc" names namespace demo but -n says default; give the namespace once', unchanged: 'running' },
  { title: 'cp out to a local directory that does not exist', group: 'cp', quiet: false, args: ['cp', '-q', '-n', 'demo', '{running}:/etc/app-secret', '{dir}/no-such-dir/x'], code: NOT_FOUND, line: 'error: cannot write {dir}/no-such-dir/x: no such file or directory on this machine; check the path', unchanged: 'running' },
  { title: 'cp in from a local path that does not exist', group: 'cp', quiet: false, args: ['cp', '-q', '-n', 'demo', '{dir}/no-such-file', '{running}:/tmp/'], code: NOT_FOUND, line: 'error: cannot read {dir}/no-such-file: no such file or directory on this machine; check the path', unchanged: 'running' },
  { title: 'cp from a pod that does not exist', group: 'cp', quiet: false, args: ['cp', '-q', '-n', 'demo', 'no-such-pod:/etc', '{dir}/x'], code: NOT_FOUND, line: 'error: pod "no-such-pod" not found in namespace "demo"; check the name, or -n/--namespace' },

  // --copy-to and --rm.
  { title: '--rm without --copy-to', group: '--copy-to', args: ['-n', 'demo', '{crash}', '--rm'], code: USAGE, line: 'error: --rm deletes the copy made by --copy-to NAME; add --copy-to NAME, or drop --rm' },
  { title: '--copy-to without a name', group: '--copy-to', args: ['-n', 'demo', '{crash}', '--copy-to'], code: USAGE, line: 'error: flag --copy-to needs a value, e.g. --copy-to NAME; see --help' },
  { title: '--copy-to with a name no pod can have', group: '--copy-to', args: ['-n', 'demo', '{crash}', '--copy-to', 'Bad_Name'], code: USAGE, line: 'error: "Bad_Name" cannot be a --copy-to pod name: names are at most 253 lower-case letters, digits, "-" and ".", starting and ending with a letter or digit; check the name' },
  { title: '--copy-to naming the pod itself', group: '--copy-to', args: ['-n', 'demo', '{crash}', '--copy-to', '{crash}'], code: USAGE, line: 'error: --copy-to {crash} is the pod itself; give the copy a new name, e.g. --copy-to {crash}-debug' },
  { title: '--copy-to with --uid', group: '--copy-to', args: ['-n', 'demo', '{crash}', '--copy-to', 'x-copy', '--uid', '0'], code: USAGE, line: "error: --uid does not apply to --copy-to: the session runs in the copy's app container itself, as the app's identity; drop --uid" },
  { title: '--copy-to without the right to create pods', group: '--copy-to', args: ['--context', 'debugger', '-n', 'demo', '{crash}', '--copy-to', 'x-copy', '--', 'true'], code: FORBIDDEN, line: 'error: --copy-to needs "create pods" in namespace "demo" (RBAC), which you do not have; ask your cluster admin, or debug a running pod without --copy-to' },
  // kubectl's global flags (issue 9)
  { title: '--token with no value', group: 'Flags without a value', args: [...RUNNING, '--token'], code: USAGE, line: needs('--token', 'TOKEN') },
  { title: '-s with no value', group: 'Flags without a value', args: [...RUNNING, '-s'], code: USAGE, line: needs('-s', 'https://HOST:6443') },
  { title: "kubectl's --profile (profiling kubectl)", group: 'Flags and values', args: [...RUNNING, '--profile', 'cpu'], code: USAGE, line: "error: --profile cpu: here --profile picks the debugger's security profile (auto, restricted, baseline, general); kubectl's --profile (profiling kubectl itself) does not apply to the plugin" },
  { title: '--insecure-skip-tls-verify with --certificate-authority', group: 'Flags and values', args: [...RUNNING, '--insecure-skip-tls-verify', '--certificate-authority', '{dir}/ca.crt'], code: USAGE, line: 'error: --insecure-skip-tls-verify and --certificate-authority cannot be used together; pick one' },
  { title: '--as-uid without --as', group: 'Credentials and connection', args: ['--as-uid', 'u-1', ...RUNNING], code: USAGE, line: 'error: --as-uid needs a user to impersonate; pass --as USER too' },
  { title: 'a bearer token and a username/password at once', group: 'Credentials and connection', args: ['--context', 'admin', '--token', 't', '--username', 'u', '--password', 'p', ...RUNNING], code: CONFIG, line: 'error: user "admin" (context "admin") has both a bearer token and a username/password; use one of them' },
];

/** The fixture pod a case must leave without any ephemeral container: the one it names, if any. */
export function unchangedPod(c: BadInputCase): FixturePod | undefined {
  if (c.unchanged) return c.unchanged;
  for (const a of c.args) {
    const m = /^\{([a-z-]+)\}$/.exec(a);
    if (m && m[1] && m[1] in FIXTURE_PODS) return m[1] as FixturePod;
  }
  return undefined;
}
