import { describe, expect, it } from 'vitest';
import { testOptions } from '../fixtures/options.js';
import { UsageError } from '../../../src/errors.js';
import {
  parseTargetRef,
  toOptions,
  WORKLOAD_KINDS,
  type Options,
  type RawArgs,
} from '../../../src/cli/options.js';

// What toOptions must give for a bare pod name: the shared fixture is exactly that.
const DEFAULTS: Options = testOptions();

function raw(over: Partial<RawArgs> = {}): RawArgs {
  return { target: 'web-1', command: [], ...over };
}

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

describe('toOptions', () => {
  it('defaults', () => {
    expect(toOptions(raw(), {})).toStrictEqual(DEFAULTS);
  });

  it('every flag at once', () => {
    const got = toOptions(
      {
        target: 'deploy/api',
        command: [],
        namespace: 'shop',
        context: 'prod',
        kubeconfig: '/tmp/kc',
        cluster: 'c1',
        user: 'u1',
        as: 'jane',
        asGroup: ['devs', 'ops'],
        requestTimeout: '30s',
        container: 'app',
        image: 'registry.local/busybox:1',
        imagePullPolicy: 'Always',
        uid: '1001',
        gid: '0',
        profile: 'general',
        env: ['A=1', 'B=x=y', 'C='],
        new: true,
        timeout: '1h30m',
        idleTimeout: '90s',
        dryRun: 'server',
        output: 'json',
        quiet: false,
        verbose: true,
        tty: false,
      },
      { DISTROLESS_DEBUG_IMAGE: 'ignored:1' },
    );
    expect(got).toStrictEqual({
      ref: { kind: 'deployment', name: 'api' },
      command: [],
      container: 'app',
      image: 'registry.local/busybox:1',
      imagePullPolicy: 'Always',
      uid: 1001,
      gid: 0,
      profile: 'general',
      env: { A: '1', B: 'x=y', C: '' },
      forceNew: true,
      timeoutMs: 5_400_000,
      idleTimeoutSeconds: 90,
      dryRun: 'server',
      output: 'json',
      quiet: false,
      verbose: true,
      tty: false,
      kube: {
        kubeconfig: '/tmp/kc',
        context: 'prod',
        cluster: 'c1',
        user: 'u1',
        namespace: 'shop',
        as: 'jane',
        asGroups: ['devs', 'ops'],
        requestTimeout: '30s',
      },
    } satisfies Options);
  });

  it.each([
    { name: 'DISTROLESS_DEBUG_IMAGE sets the image', raw: raw(), env: { DISTROLESS_DEBUG_IMAGE: 'mirror.local/busybox:1.37.0' }, want: { image: 'mirror.local/busybox:1.37.0' } },
    { name: 'an empty DISTROLESS_DEBUG_IMAGE is ignored', raw: raw(), env: { DISTROLESS_DEBUG_IMAGE: '' }, want: {} },
    { name: '--image beats DISTROLESS_DEBUG_IMAGE', raw: raw({ image: 'a:1' }), env: { DISTROLESS_DEBUG_IMAGE: 'b:1' }, want: { image: 'a:1' } },
    { name: 'bare --dry-run (empty value) => client, yaml', raw: raw({ dryRun: '' }), env: {}, want: { dryRun: 'client', output: 'yaml' } },
    { name: '--dry-run=true => client', raw: raw({ dryRun: 'true' }), env: {}, want: { dryRun: 'client', output: 'yaml' } },
    { name: '--dry-run=false => none', raw: raw({ dryRun: 'false' }), env: {}, want: {} },
    { name: '--dry-run=none', raw: raw({ dryRun: 'none' }), env: {}, want: {} },
    { name: '--dry-run=client', raw: raw({ dryRun: 'client' }), env: {}, want: { dryRun: 'client', output: 'yaml' } },
    { name: '--dry-run=server -o json', raw: raw({ dryRun: 'server', output: 'json' }), env: {}, want: { dryRun: 'server', output: 'json' } },
    { name: '--dry-run -o yaml', raw: raw({ dryRun: 'client', output: 'yaml' }), env: {}, want: { dryRun: 'client', output: 'yaml' } },
    { name: '--uid alone', raw: raw({ uid: '65532' }), env: {}, want: { uid: 65532 } },
    { name: '--uid 0', raw: raw({ uid: '0' }), env: {}, want: { uid: 0 } },
    { name: '--uid with leading zeros', raw: raw({ uid: '0010' }), env: {}, want: { uid: 10 } },
    { name: 'largest --gid', raw: raw({ uid: '1', gid: '2147483647' }), env: {}, want: { uid: 1, gid: 2147483647 } },
    { name: '--profile restricted', raw: raw({ profile: 'restricted' }), env: {}, want: { profile: 'restricted' } },
    { name: '--profile baseline', raw: raw({ profile: 'baseline' }), env: {}, want: { profile: 'baseline' } },
    { name: '--profile auto', raw: raw({ profile: 'auto' }), env: {}, want: {} },
    { name: '--image-pull-policy IfNotPresent', raw: raw({ imagePullPolicy: 'IfNotPresent' }), env: {}, want: { imagePullPolicy: 'IfNotPresent' } },
    { name: '--image-pull-policy Never', raw: raw({ imagePullPolicy: 'Never' }), env: {}, want: { imagePullPolicy: 'Never' } },
    { name: '--timeout bare seconds', raw: raw({ timeout: '45' }), env: {}, want: { timeoutMs: 45_000 } },
    { name: '--timeout 500ms', raw: raw({ timeout: '500ms' }), env: {}, want: { timeoutMs: 500 } },
    { name: '--idle-timeout 0 disables it', raw: raw({ idleTimeout: '0' }), env: {}, want: { idleTimeoutSeconds: 0 } },
    { name: '--idle-timeout 1h', raw: raw({ idleTimeout: '1h' }), env: {}, want: { idleTimeoutSeconds: 3600 } },
    { name: '--idle-timeout 1500ms rounds', raw: raw({ idleTimeout: '1500ms' }), env: {}, want: { idleTimeoutSeconds: 2 } },
    { name: '--idle-timeout 400ms rounds up to 1 s, never to 0 (never)', raw: raw({ idleTimeout: '400ms' }), env: {}, want: { idleTimeoutSeconds: 1 } },
    { name: '--timeout 0 means no limit: the longest timer', raw: raw({ timeout: '0' }), env: {}, want: { timeoutMs: 2_147_483_647 } },
    { name: '--timeout 100us rounds up to 1 ms', raw: raw({ timeout: '100us' }), env: {}, want: { timeoutMs: 1 } },
    { name: '--timeout at the timer limit', raw: raw({ timeout: '596h31m23.647s' }), env: {}, want: { timeoutMs: 2_147_483_647 } },
    { name: '--request-timeout beyond the timer limit is kubectl\'s: accepted', raw: raw({ requestTimeout: '1000h' }), env: {}, want: { kube: { requestTimeout: '1000h' } } },
    { name: 'an image by digest', raw: raw({ image: `busybox@sha256:${'a'.repeat(64)}` }), env: {}, want: { image: `busybox@sha256:${'a'.repeat(64)}` } },
    { name: '--gid with --uid', raw: raw({ uid: '1001', gid: '1002' }), env: {}, want: { uid: 1001, gid: 1002 } },
    { name: '-q', raw: raw({ quiet: true }), env: {}, want: { quiet: true } },
    { name: '-v', raw: raw({ verbose: true }), env: {}, want: { verbose: true } },
    { name: '-q with verbose false', raw: raw({ quiet: true, verbose: false }), env: {}, want: { quiet: true } },
    { name: '-t', raw: raw({ tty: true }), env: {}, want: { tty: true } },
    { name: '--new', raw: raw({ new: true }), env: {}, want: { forceNew: true } },
    { name: '-c', raw: raw({ container: 'sidecar' }), env: {}, want: { container: 'sidecar' } },
    { name: 'command', raw: raw({ command: ['sh', '-c', 'echo hi'] }), env: {}, want: { command: ['sh', '-c', 'echo hi'] } },
    { name: 'repeated --env: last wins', raw: raw({ env: ['A=1', 'A=2'] }), env: {}, want: { env: { A: '2' } } },
    { name: '--env names with dots and dashes', raw: raw({ env: ['_x.y-z=1', 'lower=ok'] }), env: {}, want: { env: { '_x.y-z': '1', lower: 'ok' } } },
    { name: '--request-timeout 0 is kept', raw: raw({ requestTimeout: '0' }), env: {}, want: { kube: { requestTimeout: '0' } } },
    { name: 'an empty --as-group list is dropped', raw: raw({ asGroup: [] }), env: {}, want: {} },
    { name: '-n alone', raw: raw({ namespace: 'kube-system' }), env: {}, want: { kube: { namespace: 'kube-system' } } },
    { name: 'sts/ target', raw: raw({ target: 'sts/db' }), env: {}, want: { ref: { kind: 'statefulset', name: 'db' } } },
  ])('$name', ({ raw: r, env, want }) => {
    expect(toOptions(r, env)).toStrictEqual({ ...DEFAULTS, ...want });
  });

  it.each([
    { name: 'missing target', raw: { command: [] } as RawArgs, message: 'missing the pod to debug: kubectl distroless-debug POD (or deploy/NAME); see --help' },
    { name: 'bad kind', raw: raw({ target: 'svc/web' }), message: 'cannot debug "svc/web": use a pod name or pod/, deploy/, sts/, ds/, rs/ or job/ followed by a name' },
    { name: 'bad --dry-run', raw: raw({ dryRun: 'yes' }), message: '--dry-run must be one of client, server, none; got "yes"' },
    { name: 'bad -o', raw: raw({ dryRun: 'client', output: 'wide' }), message: '-o/--output must be one of yaml, json; got "wide"' },
    { name: '-o without --dry-run', raw: raw({ output: 'yaml' }), message: '-o/--output only applies with --dry-run; add --dry-run=client or --dry-run=server' },
    { name: '-o with --dry-run=false', raw: raw({ output: 'json', dryRun: 'false' }), message: '-o/--output only applies with --dry-run; add --dry-run=client or --dry-run=server' },
    { name: '-q and -v', raw: raw({ quiet: true, verbose: true }), message: '-q/--quiet and -v/--verbose cannot be used together' },
    { name: 'negative --uid', raw: raw({ uid: '-1' }), message: '--uid must be a numeric ID such as 65532, got "-1"' },
    { name: 'named --uid', raw: raw({ uid: 'nonroot' }), message: '--uid must be a numeric ID such as 65532, got "nonroot"' },
    { name: 'empty --uid', raw: raw({ uid: '' }), message: '--uid must be a numeric ID such as 65532, got ""' },
    { name: 'huge --gid', raw: raw({ uid: '1', gid: '2147483648' }), message: '--gid must be a numeric ID such as 65532, got "2147483648"' },
    { name: 'fractional --gid', raw: raw({ uid: '1', gid: '1.5' }), message: '--gid must be a numeric ID such as 65532, got "1.5"' },
    { name: 'empty --image', raw: raw({ image: '' }), message: '--image "" is not a valid image reference (it is empty); use e.g. docker.io/library/busybox:1.37.0' },
    { name: 'blank --image', raw: raw({ image: '   ' }), message: '--image "   " is not a valid image reference (it is empty); use e.g. docker.io/library/busybox:1.37.0' },
    { name: '--image with a space in the tag', raw: raw({ image: 'UPPER/Case:bad tag' }), message: '--image "UPPER/Case:bad tag" is not a valid image reference (it contains white space); use e.g. docker.io/library/busybox:1.37.0' },
    { name: '--image in upper case', raw: raw({ image: 'BusyBox' }), message: '--image "BusyBox" is not a valid image reference (the repository name must be lower case); use e.g. docker.io/library/busybox:1.37.0' },
    { name: '--image with a bad tag', raw: raw({ image: 'busybox:-1' }), message: '--image "busybox:-1" is not a valid image reference (the tag after ":" must be 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"); use e.g. docker.io/library/busybox:1.37.0' },
    { name: '--image with a short digest', raw: raw({ image: 'busybox@sha256:abc' }), message: '--image "busybox@sha256:abc" is not a valid image reference (the digest after "@" must be sha256: and 64 lower-case hex digits); use e.g. docker.io/library/busybox:1.37.0' },
    { name: 'a bad DISTROLESS_DEBUG_IMAGE', raw: raw(), env: { DISTROLESS_DEBUG_IMAGE: 'a b' }, message: 'DISTROLESS_DEBUG_IMAGE "a b" is not a valid image reference (it contains white space); use e.g. docker.io/library/busybox:1.37.0' },
    { name: '--gid without --uid', raw: raw({ gid: '1000' }), message: '--gid needs --uid too: the debugger must match the target\'s UID and GID; pass both (e.g. --uid 1000 --gid 1000), or neither to use the detected identity' },
    { name: '--uid 0 with --profile restricted', raw: raw({ uid: '0', profile: 'restricted' }), message: '--uid 0 asks for a root debugger, which --profile restricted never runs; drop --uid 0, or use --profile baseline' },
    { name: '--env DD_ is reserved', raw: raw({ env: ['DD_PROC=/nope'] }), message: "--env DD_PROC: names starting with DD_ are reserved for the debugger's own settings; pick another name" },
    { name: '--env DD_IDLE_TIMEOUT is reserved', raw: raw({ env: ['DD_IDLE_TIMEOUT=0'] }), message: "--env DD_IDLE_TIMEOUT: names starting with DD_ are reserved for the debugger's own settings; pick another name" },
    { name: '--dry-run with a command', raw: raw({ dryRun: 'client', command: ['id'] }), message: '--dry-run runs nothing, so a command after -- would be ignored; drop the command or --dry-run' },
    { name: 'an upper-case pod name', raw: raw({ target: 'Web-1' }), message: '"Web-1" cannot be a pod name: names are at most 253 lower-case letters, digits, "-" and ".", starting and ending with a letter or digit; check the name' },
    { name: 'an invalid deployment name', raw: raw({ target: 'deploy/-x' }), message: '"-x" cannot be a deployment name: names are at most 253 lower-case letters, digits, "-" and ".", starting and ending with a letter or digit; check the name' },
    { name: 'an invalid namespace', raw: raw({ namespace: 'Shop' }), message: '-n/--namespace "Shop" cannot be a namespace: namespaces are at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit' },
    { name: '--timeout negative', raw: raw({ timeout: '-1s' }), message: '--timeout "-1s" is negative; use a positive duration like 30s, or 0 for no limit' },
    { name: '--timeout beyond the timer limit', raw: raw({ timeout: '1000h' }), message: '--timeout "1000h" is too long; the most is 596h31m23.647s (or 0 for no limit)' },
    { name: '--timeout 24d (no unit d in Go)', raw: raw({ timeout: '24d' }), message: '--timeout "24d" is not a duration; use a number with a unit (ns, us, ms, s, m, h) like 30s, 2m or 1h30m, or 0 for no limit' },
    { name: '--timeout 1.5 (a fraction needs a unit)', raw: raw({ timeout: '1.5' }), message: '--timeout "1.5" is not a duration; use a number with a unit (ns, us, ms, s, m, h) like 30s, 2m or 1h30m, or 0 for no limit' },
    { name: '--idle-timeout negative', raw: raw({ idleTimeout: '-5m' }), message: '--idle-timeout "-5m" is negative; use a positive duration like 30s, or 0 for never' },
    { name: 'bad --image-pull-policy', raw: raw({ imagePullPolicy: 'always' }), message: '--image-pull-policy must be one of Always, IfNotPresent, Never; got "always"' },
    { name: 'bad --profile', raw: raw({ profile: 'sysadmin' }), message: '--profile must be one of auto, restricted, baseline, general; got "sysadmin"' },
    { name: 'bad --timeout', raw: raw({ timeout: '2 minutes' }), message: '--timeout "2 minutes" is not a duration; use a number with a unit (ns, us, ms, s, m, h) like 30s, 2m or 1h30m, or 0 for no limit' },
    { name: 'bad --idle-timeout', raw: raw({ idleTimeout: '10d' }), message: '--idle-timeout "10d" is not a duration; use a number with a unit (ns, us, ms, s, m, h) like 30s, 2m or 1h30m, or 0 for never' },
    { name: 'bad --request-timeout', raw: raw({ requestTimeout: 'soon' }), message: '--request-timeout "soon" is not a duration; use a number with a unit (ns, us, ms, s, m, h) like 30s, 2m or 1h30m, or 0 for no timeout' },
    { name: '--env without =', raw: raw({ env: ['FOO'] }), message: '--env "FOO" has no "="; write it as NAME=VALUE, e.g. --env LOG_LEVEL=debug' },
    { name: '--env with empty name', raw: raw({ env: ['=x'] }), message: '--env "=x": "" is not a valid variable name; use letters, digits, "_", "-" and ".", not starting with a digit' },
    { name: '--env name starting with a digit', raw: raw({ env: ['1A=x'] }), message: '--env "1A=x": "1A" is not a valid variable name; use letters, digits, "_", "-" and ".", not starting with a digit' },
    { name: '--env name with a space', raw: raw({ env: ['A B=x'] }), message: '--env "A B=x": "A B" is not a valid variable name; use letters, digits, "_", "-" and ".", not starting with a digit' },
    { name: 'second --env bad', raw: raw({ env: ['OK=1', 'bad-'] }), message: '--env "bad-" has no "="; write it as NAME=VALUE, e.g. --env LOG_LEVEL=debug' },
  ])('rejects $name', ({ raw: r, message, env }: { raw: RawArgs; message: string; env?: NodeJS.ProcessEnv }) => {
    expect(usageError(() => toOptions(r, env ?? {})).message).toBe(message);
  });

  // BUG: src/cli/options.ts parseEnv writes into a plain object literal, so `--env __proto__=x` (a name its
  // own regex accepts) hits the Object.prototype setter and is silently dropped instead of being passed on
  // (or rejected).
  it('keeps an --env named __proto__', () => {
    const env = toOptions(raw({ env: ['__proto__=x'] }), {}).env;
    expect(Object.entries(env)).toEqual([['__proto__', 'x']]);
  });
});

describe('parseTargetRef', () => {
  const aliases: Array<[string, string]> = [
    ['po', 'pod'], ['pod', 'pod'], ['pods', 'pod'],
    ['deploy', 'deployment'], ['deployment', 'deployment'], ['deployments', 'deployment'], ['deployment.apps', 'deployment'], ['deployments.apps', 'deployment'],
    ['sts', 'statefulset'], ['statefulset', 'statefulset'], ['statefulsets', 'statefulset'], ['statefulset.apps', 'statefulset'], ['statefulsets.apps', 'statefulset'],
    ['ds', 'daemonset'], ['daemonset', 'daemonset'], ['daemonsets', 'daemonset'], ['daemonset.apps', 'daemonset'], ['daemonsets.apps', 'daemonset'],
    ['rs', 'replicaset'], ['replicaset', 'replicaset'], ['replicasets', 'replicaset'], ['replicaset.apps', 'replicaset'], ['replicasets.apps', 'replicaset'],
    ['job', 'job'], ['jobs', 'job'], ['job.batch', 'job'], ['jobs.batch', 'job'],
  ];
  it.each(aliases)('%s/NAME => %s', (alias, kind) => {
    expect(parseTargetRef(`${alias}/my-app-0`)).toStrictEqual({ kind, name: 'my-app-0' });
  });

  it.each([
    { s: 'web-1', want: { kind: 'pod', name: 'web-1' } },
    { s: 'Deploy/api', want: { kind: 'deployment', name: 'api' } },
    { s: 'STS/db', want: { kind: 'statefulset', name: 'db' } },
    { s: 'Deployments.Apps/api', want: { kind: 'deployment', name: 'api' } },
    { s: 'POD/my.name', want: { kind: 'pod', name: 'my.name' } },
  ])('$s', ({ s, want }) => {
    expect(parseTargetRef(s)).toStrictEqual(want);
  });

  it('covers every workload kind', () => {
    expect(new Set(aliases.map(([, k]) => k))).toEqual(new Set(WORKLOAD_KINDS));
  });

  it.each([
    { s: undefined, message: 'missing the pod to debug: kubectl distroless-debug POD (or deploy/NAME); see --help' },
    { s: '', message: 'missing the pod to debug: kubectl distroless-debug POD (or deploy/NAME); see --help' },
    { s: 'svc/web', message: 'cannot debug "svc/web": use a pod name or pod/, deploy/, sts/, ds/, rs/ or job/ followed by a name' },
    { s: 'cronjob/nightly', message: 'cannot debug "cronjob/nightly": use a pod name or pod/, deploy/, sts/, ds/, rs/ or job/ followed by a name' },
    { s: 'deployment.extensions/x', message: 'cannot debug "deployment.extensions/x": use a pod name or pod/, deploy/, sts/, ds/, rs/ or job/ followed by a name' },
    { s: '/web', message: 'cannot debug "/web": use a pod name or pod/, deploy/, sts/, ds/, rs/ or job/ followed by a name' },
    { s: 'deploy/', message: '"deploy/" is not a valid name; expected KIND/NAME' },
    { s: 'pod/a/b', message: '"pod/a/b" is not a valid name; expected KIND/NAME' },
  ])('rejects $s', ({ s, message }) => {
    expect(usageError(() => parseTargetRef(s)).message).toBe(message);
  });

  // BUG: src/cli/options.ts parseTargetRef looks the kind up in a plain object literal (KIND_ALIASES), so
  // inherited keys match: "constructor/x" returns { kind: Object (a function), name: 'x' } and "__proto__/x"
  // returns { kind: Object.prototype, ... } instead of throwing UsageError; resolvePod then crashes with a
  // TypeError (exit 79).
  it.each(['constructor/x', '__proto__/x'])('rejects inherited object keys as kinds: %s', (s) => {
    expect(usageError(() => parseTargetRef(s)).message).toBe(
      `cannot debug "${s}": use a pod name or pod/, deploy/, sts/, ds/, rs/ or job/ followed by a name`,
    );
  });
});

describe("toOptions: kubectl's global flags", () => {
  it('connection flags reach the kubeconfig loader', () => {
    const o = toOptions(
      raw({
        kubectlFlags: {
          server: 'https://h', token: 't', 'certificate-authority': '/ca', 'client-certificate': '/c', 'client-key': '/k',
          'tls-server-name': 'api', 'as-uid': '42', username: 'u', password: 'p',
        },
      }),
      {},
    );
    expect(o.kube).toEqual({
      server: 'https://h', token: 't', certificateAuthority: '/ca', clientCertificate: '/c', clientKey: '/k',
      tlsServerName: 'api', asUid: '42', username: 'u', password: 'p',
    });
    expect(o.notes).toBeUndefined();
  });
  it('--insecure-skip-tls-verify, and not with --certificate-authority', () => {
    expect(toOptions(raw({ kubectlFlags: { 'insecure-skip-tls-verify': true } }), {}).kube).toEqual({ insecureSkipTlsVerify: true });
    expect(toOptions(raw({ kubectlFlags: { 'insecure-skip-tls-verify': false } }), {}).kube).toEqual({});
    expect(usageError(() => toOptions(raw({ kubectlFlags: { 'insecure-skip-tls-verify': true, 'certificate-authority': '/ca' } }), {})).message).toBe(
      '--insecure-skip-tls-verify and --certificate-authority cannot be used together; pick one',
    );
  });
  it('flags that cannot apply are accepted and noted once for -v', () => {
    const o = toOptions(raw({ kubectlFlags: { 'cache-dir': '/c', kuberc: '/rc', 'disable-compression': true } }), {});
    expect(o.notes).toEqual([
      '--cache-dir is accepted for kubectl compatibility and has no effect: the plugin keeps no discovery or HTTP cache',
      '--disable-compression is accepted for kubectl compatibility and has no effect: the plugin never asks the API server for compressed responses',
      "--kuberc is accepted for kubectl compatibility and has no effect: kuberc preferences apply to kubectl's own commands, not to plugins",
    ]);
  });
  it("kubectl's --profile values say how ours differs", () => {
    expect(usageError(() => toOptions(raw({ profile: 'cpu' }), {})).message).toMatch(/^--profile cpu: here --profile picks the debugger's security profile \(auto, restricted, baseline, general\); kubectl's --profile/);
  });
});
