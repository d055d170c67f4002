import type { V1ContainerStatus, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Options } from '../../../src/options.js';
import { NotFoundError, NotRunningError, PodSecurityError, UsageError } from '../../../src/errors.js';
import { DEFAULT_IMAGE, NAME_PREFIX, reuseKey } from '../../../src/plan/container.js';
import { makePlan, type DebugPlan, type PlanInput } from '../../../src/plan/plan.js';
import { attachScript, keeperScript, promptFor } from '../../../src/plan/scripts.js';
import { testOptions } from '../fixtures/options.js';
import { kubeLiteral } from '../../../src/plan/kube-literal.js';

const STRICT = {
  runAsUser: 65532,
  runAsGroup: 65532,
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  seccompProfile: { type: 'RuntimeDefault' },
  capabilities: { drop: ['ALL'] },
};

const options = (over: Partial<Options> = {}): Options => testOptions({ image: DEFAULT_IMAGE, ...over });

function appStatus(extra: Partial<V1ContainerStatus> = {}): V1ContainerStatus {
  return {
    name: 'app',
    image: 'gcr.io/distroless/static:nonroot',
    imageID: '',
    ready: true,
    restartCount: 0,
    containerID: 'containerd://c0ffee',
    state: { running: { startedAt: new Date('2025-01-01T00:00:00Z') } },
    user: { linux: { uid: 65532, gid: 65532 } },
    ...extra,
  };
}

function keeperFor(name: string, over: Partial<V1EphemeralContainer> = {}, env: Array<{ name: string; value: string }> = []): V1EphemeralContainer {
  return {
    name,
    image: DEFAULT_IMAGE,
    command: ['/bin/sh', '-c', kubeLiteral(keeperScript()), 'distroless-debug-keeper'],
    env: [
      { name: 'DD_MODE', value: 'exec' },
      { name: 'DD_IDLE_TIMEOUT', value: '600' },
      { name: 'DD_LEASE', value: '30' },
      { name: 'DD_TARGET_CID', value: 'c0ffee' },
      ...env,
    ],
    targetContainerName: 'app',
    securityContext: STRICT,
    terminationMessagePolicy: 'File',
    ...over,
  };
}

/** The shared name of a keeper spec: its reuse key. */
const sharedName = (c: V1EphemeralContainer) => NAME_PREFIX + reuseKey(c);

function makePod(opts: { ephemeral?: V1EphemeralContainer[]; running?: string[]; status?: Partial<V1ContainerStatus> } = {}): V1Pod {
  return {
    metadata: { name: 'web-1', namespace: 'shop' },
    spec: {
      containers: [{ name: 'app', image: 'gcr.io/distroless/static:nonroot' }],
      ephemeralContainers: opts.ephemeral ?? [],
    },
    status: {
      phase: 'Running',
      containerStatuses: [appStatus(opts.status)],
      ephemeralContainerStatuses: (opts.running ?? []).map((name) => ({
        name,
        image: DEFAULT_IMAGE,
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { running: { startedAt: new Date('2025-01-01T00:00:00Z') } },
      })),
    },
  };
}

const zero = () => 0;

function input(over: Partial<PlanInput> = {}): PlanInput {
  return { pod: makePod(), options: options(), psaLevel: undefined, mode: 'exec', stdinIsTTY: true, random: zero, ...over };
}

const target = { container: 'app', reason: 'only' as const, containerId: 'c0ffee', sharedPidNamespace: false };

function created(env: Array<{ name: string; value: string }> = [], over: Partial<V1EphemeralContainer> = {}): V1EphemeralContainer {
  const c = keeperFor('', over, env);
  // A shared keeper is named after its spec; a test may name it (--new).
  return { ...c, name: over.name ?? sharedName(c) };
}

describe('makePlan', () => {
  it('creates a keeper when nothing can be reused (whole plan)', () => {
    const want: DebugPlan = {
      namespace: 'shop',
      pod: 'web-1',
      target,
      identity: { uid: 65532, gid: 65532, source: 'status' },
      profile: 'restricted',
      mode: 'exec',
      action: { kind: 'create', container: created() },
      session: { command: [], tty: true, stdin: true },
    };
    expect(makePlan(input())).toStrictEqual(want);
  });

  it('reuses a running keeper (whole plan)', () => {
    const k = sharedName(keeperFor(''));
    const pod = makePod({ ephemeral: [keeperFor(k)], running: [k] });
    const want: DebugPlan = {
      namespace: 'shop',
      pod: 'web-1',
      target,
      identity: { uid: 65532, gid: 65532, source: 'status' },
      profile: 'restricted',
      mode: 'exec',
      action: { kind: 'reuse', container: k, state: 'running' },
      session: { command: ['ls', '-l'], tty: false, stdin: false },
    };
    expect(makePlan(input({ pod, options: options({ command: ['ls', '-l'] }) }))).toStrictEqual(want);
  });

  it('--new creates even when a keeper could be reused, and avoids its name', () => {
    const pod = makePod({
      ephemeral: [keeperFor(sharedName(keeperFor(''))), keeperFor('distroless-debug-bbbbb')],
      running: [sharedName(keeperFor('')), 'distroless-debug-bbbbb'],
    });
    let n = 0;
    const random = () => (n++ < 5 ? 0 : 1 / 27 + 0.001); // bbbbb (taken), then ccccc
    const plan = makePlan(input({ pod, options: options({ forceNew: true }), random }));
    expect(plan.action).toStrictEqual({ kind: 'create', container: created([], { name: 'distroless-debug-ccccc' }) });
  });

  it('reuses a keeper that is still starting (in the spec, no status yet)', () => {
    const k = sharedName(keeperFor(''));
    const pod = makePod({ ephemeral: [keeperFor(k)], running: [] });
    expect(makePlan(input({ pod })).action).toStrictEqual({ kind: 'reuse', container: k, state: 'starting' });
  });

  it('adds the next generation when the shared keeper has exited', () => {
    const k = sharedName(keeperFor(''));
    const pod = makePod({ ephemeral: [keeperFor(k)], running: [] });
    pod.status!.ephemeralContainerStatuses = [
      { name: k, image: DEFAULT_IMAGE, imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } },
    ];
    expect(makePlan(input({ pod })).action).toStrictEqual({ kind: 'create', container: created([], { name: `${k}-2` }) });
  });

  it('does not reuse a keeper running as another identity', () => {
    const k = sharedName(keeperFor(''));
    const pod = makePod({
      ephemeral: [keeperFor(k)],
      running: [k],
      status: { user: { linux: { uid: 1001, gid: 1001 } } },
    });
    const plan = makePlan(input({ pod }));
    expect(plan.identity).toEqual({ uid: 1001, gid: 1001, source: 'status' });
    expect(plan.action).toStrictEqual({
      kind: 'create',
      container: created([], { securityContext: { ...STRICT, runAsUser: 1001, runAsGroup: 1001 } }),
    });
  });

  it('attach mode never reuses, and carries the command and tty', () => {
    const pod = makePod({ ephemeral: [keeperFor('distroless-debug-kkkkk')], running: ['distroless-debug-kkkkk'] });
    const plan = makePlan(input({ pod, mode: 'attach', options: options({ command: ['cat', '/etc/passwd'] }), stdinIsTTY: false }));
    expect(plan).toStrictEqual({
      namespace: 'shop',
      pod: 'web-1',
      target,
      identity: { uid: 65532, gid: 65532, source: 'status' },
      profile: 'restricted',
      mode: 'attach',
      action: {
        kind: 'create',
        container: {
          name: 'distroless-debug-bbbbb',
          image: DEFAULT_IMAGE,
          command: ['/bin/sh', '-c', kubeLiteral(attachScript(promptFor('web-1', 'app'))), 'distroless-debug-session', 'cat', '/etc/passwd'],
          env: [
            { name: 'DD_MODE', value: 'attach' },
            { name: 'DD_IDLE_TIMEOUT', value: '600' },
            { name: 'DD_TARGET_CID', value: 'c0ffee' },
          ],
          targetContainerName: 'app',
          securityContext: STRICT,
          terminationMessagePolicy: 'File',
          stdin: true,
          stdinOnce: true,
          tty: false,
        },
      },
      session: { command: ['cat', '/etc/passwd'], tty: false, stdin: true },
    } satisfies DebugPlan);
  });

  describe('tty and stdin', () => {
    it.each([
      { name: 'interactive shell on a terminal', command: [], stdinIsTTY: true, tty: undefined, want: { tty: true, stdin: true } },
      { name: 'interactive shell with piped stdin', command: [], stdinIsTTY: false, tty: undefined, want: { tty: false, stdin: true } },
      { name: 'command on a terminal: no stdin, no tty', command: ['ls'], stdinIsTTY: true, tty: undefined, want: { tty: false, stdin: false } },
      { name: 'command with piped stdin', command: ['sh', '-c', 'cat > /tmp/x'], stdinIsTTY: false, tty: undefined, want: { tty: false, stdin: true } },
      { name: 'command with -t on a terminal', command: ['top'], stdinIsTTY: true, tty: true, want: { tty: true, stdin: true } },
      { name: 'command with -t and piped stdin', command: ['top'], stdinIsTTY: false, tty: true, want: { tty: true, stdin: true } },
      { name: 'interactive with --tty=false on a terminal', command: [], stdinIsTTY: true, tty: false, want: { tty: false, stdin: true } },
      { name: 'command with --tty=false and piped stdin', command: ['cat'], stdinIsTTY: false, tty: false, want: { tty: false, stdin: true } },
      { name: 'command with --tty=false on a terminal', command: ['cat'], stdinIsTTY: true, tty: false, want: { tty: false, stdin: false } },
    ])('$name', ({ command, stdinIsTTY, tty, want }) => {
      for (const mode of ['exec', 'attach'] as const) {
        const plan = makePlan(input({ mode, stdinIsTTY, options: options({ command, tty }) }));
        expect(plan.session).toStrictEqual({ command, ...want });
        if (mode === 'attach' && plan.action.kind === 'create') expect(plan.action.container.tty).toBe(want.tty);
      }
    });
  });

  it('an identity override (correction) wins over detection and flags', () => {
    const plan = makePlan(
      input({
        options: options({ uid: 5, gid: 5 }),
        identity: { uid: 1001, gid: 1002, source: 'correction' },
      }),
    );
    expect(plan.identity).toStrictEqual({ uid: 1001, gid: 1002, source: 'correction' });
    expect(plan.action).toStrictEqual({
      kind: 'create',
      container: created([], { securityContext: { ...STRICT, runAsUser: 1001, runAsGroup: 1002 } }),
    });
  });

  it('a correction to root in an unlabelled namespace uses baseline', () => {
    const plan = makePlan(input({ identity: { uid: 0, gid: 0, source: 'correction' } }));
    expect(plan.profile).toBe('baseline');
    expect(plan.action).toStrictEqual({
      kind: 'create',
      container: created([], {
        securityContext: { runAsUser: 0, runAsGroup: 0, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } },
      }),
    });
  });

  it('passes flags through: container, image, pull policy, env, idle timeout, uid/gid, profile', () => {
    const pod = makePod();
    pod.spec!.containers.push({ name: 'sidecar' });
    pod.status!.containerStatuses!.push({
      ...appStatus({ containerID: 'containerd://51de' }),
      name: 'sidecar',
    });
    const plan = makePlan(
      input({
        pod,
        options: options({
          container: 'sidecar',
          image: 'registry.local/bb:1',
          imagePullPolicy: 'Never',
          env: { A: '1' },
          idleTimeoutSeconds: 30,
          uid: 1234,
          gid: 5678,
          profile: 'baseline',
        }),
      }),
    );
    expect(plan).toStrictEqual({
      namespace: 'shop',
      pod: 'web-1',
      target: { container: 'sidecar', reason: 'flag', containerId: '51de', sharedPidNamespace: false },
      identity: { uid: 1234, gid: 5678, source: 'flag' },
      profile: 'baseline',
      mode: 'exec',
      action: {
        kind: 'create',
        container: {
          name: expect.stringMatching(/^distroless-debug-[bcdfghjklmnpqrstvwxz2456789]{8}$/) as unknown as string,
          image: 'registry.local/bb:1',
          command: ['/bin/sh', '-c', kubeLiteral(keeperScript()), 'distroless-debug-keeper'],
          env: [
            { name: 'DD_MODE', value: 'exec' },
            { name: 'DD_IDLE_TIMEOUT', value: '30' },
            { name: 'DD_LEASE', value: '30' },
            { name: 'DD_TARGET_CID', value: '51de' },
            { name: 'A', value: '1' },
          ],
          targetContainerName: 'sidecar',
          securityContext: {
            runAsUser: 1234,
            runAsGroup: 5678,
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            seccompProfile: { type: 'RuntimeDefault' },
            capabilities: { drop: ['ALL'] },
          },
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'Never',
        },
      },
      session: { command: [], tty: true, stdin: true },
    } satisfies DebugPlan);
  });

  it('--profile general runs as root with SYS_PTRACE, whoever the target is', () => {
    const plan = makePlan(input({ options: options({ profile: 'general' }) }));
    expect(plan.identity).toStrictEqual({ uid: 0, gid: 0, source: 'profile' });
    expect(plan.profile).toBe('general');
    expect(plan.action.kind === 'create' && plan.action.container.securityContext).toStrictEqual({
      runAsUser: 0,
      runAsGroup: 0,
      allowPrivilegeEscalation: false,
      seccompProfile: { type: 'RuntimeDefault' },
      capabilities: { add: ['SYS_PTRACE'] },
    });
  });

  it('--profile general refuses a non-root --uid and a namespace that forbids SYS_PTRACE, before any change', () => {
    expect(() => makePlan(input({ options: options({ profile: 'general', uid: 1001 }) }))).toThrow(UsageError);
    expect(() => makePlan(input({ options: options({ profile: 'general' }), psaLevel: 'baseline' }))).toThrow(PodSecurityError);
    expect(makePlan(input({ options: options({ profile: 'general', uid: 0 }) })).identity.uid).toBe(0);
  });

  it('uses the image user when the runtime does not report one', () => {
    const pod = makePod({ status: { user: undefined } });
    delete pod.status!.containerStatuses![0]!.user;
    const plan = makePlan(input({ pod, imageUser: { uid: 1001, gid: undefined } }));
    expect(plan.identity).toStrictEqual({ uid: 1001, gid: 1001, source: 'image' });
  });

  it.each([
    {
      name: 'unknown -c',
      in: () => input({ options: options({ container: 'nope' }) }),
      cls: NotFoundError,
      message: 'container "nope" not found in pod web-1; its containers are: app',
    },
    {
      name: 'a terminating pod',
      in: () => {
        const pod = makePod();
        pod.metadata!.deletionTimestamp = new Date();
        return input({ pod });
      },
      cls: NotRunningError,
      message: 'pod web-1 is terminating; debug a pod that is not being deleted',
    },
    {
      name: 'root target in a restricted namespace',
      in: () => input({ pod: makePod({ status: { user: { linux: { uid: 0, gid: 0 } } } }), psaLevel: 'restricted' }),
      cls: PodSecurityError,
      message:
        'the namespace enforces Pod Security "restricted", which forbids a root debugger, and the target runs as root; ask an admin to debug it from a namespace with "baseline"',
    },
    {
      name: '--profile restricted with a root target',
      in: () => input({ pod: makePod({ status: { user: { linux: { uid: 0, gid: 0 } } } }), options: options({ profile: 'restricted' }) }),
      cls: UsageError,
      message: '--profile restricted needs a non-root debugger, but the target runs as root (uid 0); use --profile baseline',
    },
  ])('fails: $name', ({ in: make, cls, message }) => {
    let caught: unknown;
    try {
      makePlan(make());
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(cls);
    expect((caught as Error).message).toBe(message);
  });

  // BUG: src/plan/reuse.ts findReusableDebugger (called from src/plan/plan.ts makePlan) ignores --env:
  // exec sessions inherit the keeper's environment, so reusing a keeper started without FOO silently drops
  // `--env FOO=1`. A keeper whose user env differs must not be reused.
  it('does not reuse a keeper whose --env differs', () => {
    const k = sharedName(keeperFor(''));
    const pod = makePod({ ephemeral: [keeperFor(k)], running: [k] });
    const plan = makePlan(input({ pod, options: options({ env: { FOO: '1' } }) }));
    expect(plan.action).toStrictEqual({ kind: 'create', container: created([{ name: 'FOO', value: '1' }]) });
  });

  it('reuses a keeper whose --env is the same', () => {
    const k = sharedName(keeperFor('', {}, [{ name: 'FOO', value: '1' }]));
    const pod = makePod({ ephemeral: [keeperFor(k, {}, [{ name: 'FOO', value: '1' }])], running: [k] });
    const plan = makePlan(input({ pod, options: options({ env: { FOO: '1' } }) }));
    expect(plan.action).toStrictEqual({ kind: 'reuse', container: k, state: 'running' });
  });
});
