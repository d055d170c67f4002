import type { V1ContainerState, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { NotFoundError, NotRunningError } from '../../../src/errors.js';
import {
  assertDebuggable,
  chooseTarget,
  containerStatus,
  DEFAULT_CONTAINER_ANNOTATION,
  describeTargetChoice,
  podName,
  type Target,
} from '../../../src/plan/target.js';

function status(name: string, extra: Partial<V1ContainerStatus> = {}): V1ContainerStatus {
  return { name, image: `img-${name}`, imageID: '', ready: true, restartCount: 0, ...extra };
}

function makePod(opts: {
  name?: string;
  containers?: string[];
  annotations?: Record<string, string>;
  statuses?: V1ContainerStatus[];
  share?: boolean;
}): V1Pod {
  const pod: V1Pod = {
    metadata: { name: opts.name ?? 'web-1', namespace: 'shop' },
    spec: { containers: (opts.containers ?? []).map((name) => ({ name, image: `img-${name}` })) },
    status: { phase: 'Running', containerStatuses: opts.statuses ?? [] },
  };
  if (opts.annotations) pod.metadata!.annotations = opts.annotations;
  if (opts.share !== undefined) pod.spec!.shareProcessNamespace = opts.share;
  return pod;
}

describe('chooseTarget', () => {
  const cases: Array<{ name: string; pod: V1Pod; requested: string | undefined; want: Target }> = [
    {
      name: 'the -c flag wins over the annotation',
      pod: makePod({
        containers: ['app', 'sidecar'],
        annotations: { [DEFAULT_CONTAINER_ANNOTATION]: 'app' },
        statuses: [status('app', { containerID: 'containerd://aaa' }), status('sidecar', { containerID: 'containerd://bbb' })],
      }),
      requested: 'sidecar',
      want: { container: 'sidecar', reason: 'flag', containerId: 'bbb', sharedPidNamespace: false },
    },
    {
      name: 'the -c flag naming the only container',
      pod: makePod({ containers: ['app'], statuses: [status('app', { containerID: 'containerd://aaa' })] }),
      requested: 'app',
      want: { container: 'app', reason: 'flag', containerId: 'aaa', sharedPidNamespace: false },
    },
    {
      name: 'the default-container annotation',
      pod: makePod({
        containers: ['istio-proxy', 'app'],
        annotations: { [DEFAULT_CONTAINER_ANNOTATION]: 'app' },
        statuses: [status('istio-proxy', { containerID: 'containerd://p' }), status('app', { containerID: 'containerd://a1' })],
      }),
      requested: undefined,
      want: { container: 'app', reason: 'annotation', containerId: 'a1', sharedPidNamespace: false },
    },
    {
      name: 'an annotation naming a missing container falls back to the first',
      pod: makePod({
        containers: ['one', 'two'],
        annotations: { [DEFAULT_CONTAINER_ANNOTATION]: 'gone' },
        statuses: [status('one', { containerID: 'docker://d1' })],
      }),
      requested: undefined,
      want: { container: 'one', reason: 'first', containerId: 'd1', sharedPidNamespace: false },
    },
    {
      name: 'an annotation naming a missing container falls back to the only one',
      pod: makePod({ containers: ['solo'], annotations: { [DEFAULT_CONTAINER_ANNOTATION]: 'gone' } }),
      requested: undefined,
      want: { container: 'solo', reason: 'only', containerId: undefined, sharedPidNamespace: false },
    },
    {
      name: 'the only container',
      pod: makePod({ containers: ['app'], statuses: [status('app', { containerID: 'cri-o://0123abcd' })] }),
      requested: undefined,
      want: { container: 'app', reason: 'only', containerId: '0123abcd', sharedPidNamespace: false },
    },
    {
      name: 'the first of several',
      pod: makePod({
        containers: ['first', 'second', 'third'],
        statuses: [status('second', { containerID: 'containerd://s' }), status('first', { containerID: 'containerd://f' })],
      }),
      requested: undefined,
      want: { container: 'first', reason: 'first', containerId: 'f', sharedPidNamespace: false },
    },
    {
      name: 'no status yet: containerId unknown',
      pod: makePod({ containers: ['app'] }),
      requested: undefined,
      want: { container: 'app', reason: 'only', containerId: undefined, sharedPidNamespace: false },
    },
    {
      name: 'status without containerID',
      pod: makePod({ containers: ['app'], statuses: [status('app')] }),
      requested: undefined,
      want: { container: 'app', reason: 'only', containerId: undefined, sharedPidNamespace: false },
    },
    {
      name: 'a containerID without scheme is kept as is',
      pod: makePod({ containers: ['app'], statuses: [status('app', { containerID: 'abc123' })] }),
      requested: undefined,
      want: { container: 'app', reason: 'only', containerId: 'abc123', sharedPidNamespace: false },
    },
    {
      name: 'docker scheme stripped',
      pod: makePod({ containers: ['app'], statuses: [status('app', { containerID: 'docker://9f8e7d' })] }),
      requested: 'app',
      want: { container: 'app', reason: 'flag', containerId: '9f8e7d', sharedPidNamespace: false },
    },
    {
      name: 'shareProcessNamespace true',
      pod: makePod({ containers: ['app'], share: true, statuses: [status('app', { containerID: 'containerd://c' })] }),
      requested: undefined,
      want: { container: 'app', reason: 'only', containerId: 'c', sharedPidNamespace: true },
    },
    {
      name: 'shareProcessNamespace false',
      pod: makePod({ containers: ['app'], share: false }),
      requested: undefined,
      want: { container: 'app', reason: 'only', containerId: undefined, sharedPidNamespace: false },
    },
  ];
  it.each(cases)('$name', ({ pod, requested, want }) => {
    expect(chooseTarget(pod, requested)).toEqual(want);
  });

  it.each([
    {
      name: 'a -c naming no container',
      pod: makePod({ name: 'web-1', containers: ['app', 'sidecar'] }),
      requested: 'nope',
      message: 'container "nope" not found in pod web-1; its containers are: app, sidecar',
    },
    {
      name: 'a -c naming an init container is not accepted',
      pod: { ...makePod({ name: 'web-2', containers: ['app'] }), spec: { containers: [{ name: 'app' }], initContainers: [{ name: 'init' }] } },
      requested: 'init',
      message: 'container "init" not found in pod web-2; its containers are: app',
    },
    {
      name: 'a -c on a pod without containers',
      pod: makePod({ name: 'empty', containers: [] }),
      requested: 'app',
      message: 'container "app" not found in pod empty; its containers are: none',
    },
    {
      name: 'no containers and no -c',
      pod: makePod({ name: 'empty', containers: [] }),
      requested: undefined,
      message: 'pod empty has no containers',
    },
    {
      name: 'no spec at all',
      pod: { metadata: { name: 'bare' } } as V1Pod,
      requested: undefined,
      message: 'pod bare has no containers',
    },
  ])('throws NotFoundError: $name', ({ pod, requested, message }) => {
    expect(() => chooseTarget(pod, requested)).toThrow(NotFoundError);
    expect(() => chooseTarget(pod, requested)).toThrow(new NotFoundError(message));
    try {
      chooseTarget(pod, requested);
    } catch (e) {
      expect((e as Error).message).toBe(message);
    }
  });
});

describe('podName / containerStatus', () => {
  it('reads the name, or empty', () => {
    expect(podName(makePod({ name: 'x' }))).toBe('x');
    expect(podName({})).toBe('');
  });
  it('finds a status by name', () => {
    const s = status('b', { containerID: 'containerd://b' });
    const pod = makePod({ containers: ['a', 'b'], statuses: [status('a'), s] });
    expect(containerStatus(pod, 'b')).toEqual(s);
    expect(containerStatus(pod, 'c')).toBeUndefined();
    expect(containerStatus({}, 'a')).toBeUndefined();
  });
});

describe('describeTargetChoice', () => {
  it.each([
    { reason: 'flag' as const, want: 'container app (from -c)' },
    { reason: 'annotation' as const, want: 'container app (from the kubectl.kubernetes.io/default-container annotation)' },
    { reason: 'only' as const, want: 'container app' },
    { reason: 'first' as const, want: 'container app (the first of several; pick another with -c)' },
  ])('$reason', ({ reason, want }) => {
    expect(describeTargetChoice({ container: 'app', reason, containerId: undefined, sharedPidNamespace: false })).toBe(want);
  });
});

describe('assertDebuggable', () => {
  const target: Target = { container: 'app', reason: 'only', containerId: 'abc', sharedPidNamespace: false };
  const running: V1ContainerState = { running: { startedAt: new Date('2025-01-01T00:00:00Z') } };

  function debugPod(over: {
    deletion?: boolean;
    os?: string;
    nodeSelectorOs?: string;
    phase?: string | null;
    state?: V1ContainerState | null;
  }): V1Pod {
    const pod = makePod({ name: 'web-1', containers: ['app'], statuses: [] });
    if (over.deletion) pod.metadata!.deletionTimestamp = new Date('2025-01-01T00:00:00Z');
    if (over.os) pod.spec!.os = { name: over.os };
    if (over.nodeSelectorOs) pod.spec!.nodeSelector = { 'kubernetes.io/os': over.nodeSelectorOs };
    if (over.phase === null) delete pod.status!.phase;
    else pod.status!.phase = over.phase ?? 'Running';
    if (over.state !== null) pod.status!.containerStatuses = [status('app', { state: over.state ?? running })];
    return pod;
  }

  it.each([
    { name: 'running Linux pod', pod: debugPod({}) },
    { name: 'spec.os linux', pod: debugPod({ os: 'linux' }) },
    { name: 'nodeSelector linux', pod: debugPod({ nodeSelectorOs: 'linux' }) },
  ])('accepts $name', ({ pod }) => {
    expect(() => assertDebuggable(pod, target)).not.toThrow();
  });

  it.each([
    {
      name: 'terminating',
      pod: debugPod({ deletion: true }),
      message: 'pod web-1 is terminating; debug a pod that is not being deleted',
    },
    {
      name: 'terminating wins over everything else',
      pod: debugPod({ deletion: true, os: 'windows', phase: 'Pending' }),
      message: 'pod web-1 is terminating; debug a pod that is not being deleted',
    },
    {
      name: 'Windows via spec.os',
      pod: debugPod({ os: 'windows' }),
      message: 'pod web-1 runs on a Windows node; distroless-debug needs Linux process namespaces',
    },
    {
      name: 'Windows via nodeSelector',
      pod: debugPod({ nodeSelectorOs: 'windows' }),
      message: 'pod web-1 runs on a Windows node; distroless-debug needs Linux process namespaces',
    },
    {
      name: 'Pending',
      pod: debugPod({ phase: 'Pending', state: { waiting: { reason: 'ContainerCreating' } } }),
      message: 'pod web-1 is Pending, not Running; wait for it to start or pick a running pod',
    },
    {
      name: 'Succeeded',
      pod: debugPod({ phase: 'Succeeded', state: { terminated: { exitCode: 0, reason: 'Completed' } } }),
      message: 'pod web-1 has completed (phase Succeeded) and will not run again; read its output with kubectl logs, or debug a copy of it with --copy-to NAME',
    },
    {
      name: 'Failed',
      pod: debugPod({ phase: 'Failed' }),
      message: 'pod web-1 has failed (phase Failed) and will not run again; read its output with kubectl logs, or debug a copy of it with --copy-to NAME',
    },
    {
      name: 'no phase',
      pod: debugPod({ phase: null }),
      message: 'pod web-1 is in phase Unknown (its node is not reporting); check the node, or debug another pod',
    },
    {
      name: 'target waiting in CrashLoopBackOff',
      pod: debugPod({ state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s' } } }),
      message:
        'container app in pod web-1 is not running (CrashLoopBackOff); a debugger can only join a running container: debug a copy of the pod with --copy-to NAME',
    },
    {
      name: 'target terminated with a reason',
      pod: debugPod({ state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }),
      message:
        'container app in pod web-1 is not running (terminated (OOMKilled)); a debugger can only join a running container: debug a copy of the pod with --copy-to NAME',
    },
    {
      name: 'target terminated without a reason',
      pod: debugPod({ state: { terminated: { exitCode: 1 } } }),
      message:
        'container app in pod web-1 is not running (terminated (exited)); a debugger can only join a running container: debug a copy of the pod with --copy-to NAME',
    },
    {
      name: 'target waiting without a reason',
      pod: debugPod({ state: { waiting: {} } }),
      message: 'container app in pod web-1 is not running (not started); a debugger can only join a running container: debug a copy of the pod with --copy-to NAME',
    },
    {
      name: 'target without status',
      pod: debugPod({ state: null }),
      message: 'container app in pod web-1 is not running (not started); a debugger can only join a running container: debug a copy of the pod with --copy-to NAME',
    },
  ])('refuses $name', ({ pod, message }) => {
    let caught: unknown;
    try {
      assertDebuggable(pod, target);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(NotRunningError);
    expect((caught as Error).message).toBe(message);
  });
});
