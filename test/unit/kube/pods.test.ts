import type { V1ContainerState, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { blamedEarlierContainers, blamedOwnContainers, debuggerState } from '../../../src/kube/pods.js';

const running: V1ContainerState = { running: { startedAt: new Date('2025-01-01T00:00:00Z') } };
const terminated: V1ContainerState = { terminated: { exitCode: 3, reason: 'Error', message: 'identity-mismatch pid=1 uid=1001 gid=1001\n' } };
const waiting: V1ContainerState = { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } };

const pod: V1Pod = {
  metadata: { name: 'web-1' },
  status: {
    phase: 'Running',
    containerStatuses: [{ name: 'app', image: 'app', imageID: '', ready: true, restartCount: 0, state: running }],
    ephemeralContainerStatuses: [
      { name: 'distroless-debug-aaaaa', image: 'bb', imageID: '', ready: false, restartCount: 0, state: terminated },
      { name: 'distroless-debug-bbbbb', image: 'bb', imageID: '', ready: false, restartCount: 0, state: running },
      { name: 'distroless-debug-ccccc', image: 'bb', imageID: '', ready: false, restartCount: 0, state: waiting },
      { name: 'distroless-debug-ddddd', image: 'bb', imageID: '', ready: false, restartCount: 0 },
    ],
  },
};

describe('debuggerState', () => {
  it.each([
    { name: 'distroless-debug-aaaaa', want: terminated },
    { name: 'distroless-debug-bbbbb', want: running },
    { name: 'distroless-debug-ccccc', want: waiting },
    { name: 'distroless-debug-ddddd', want: undefined },
    { name: 'distroless-debug-zzzzz', want: undefined },
    { name: 'app', want: undefined }, // regular containers are not debuggers
  ])('$name', ({ name, want }) => {
    expect(debuggerState(pod, name)).toEqual(want);
  });

  it.each([
    { name: 'no status', pod: { metadata: { name: 'x' } } as V1Pod },
    { name: 'no ephemeral statuses', pod: { status: { phase: 'Running' } } as V1Pod },
    { name: 'empty pod', pod: {} as V1Pod },
  ])('undefined for a pod with $name', ({ pod: p }) => {
    expect(debuggerState(p, 'distroless-debug-aaaaa')).toBeUndefined();
  });

  it('returns the same object the status holds', () => {
    expect(debuggerState(pod, 'distroless-debug-bbbbb')).toBe(running);
  });
});

describe('blamedEarlierContainers', () => {
  const pod: V1Pod = {
    spec: {
      containers: [{ name: 'app' }],
      ephemeralContainers: [
        { name: 'debugger-abcde', image: 'busybox' },
        { name: 'distroless-debug-xxxxx', image: 'busybox' },
      ],
    },
  };
  it.each([
    {
      name: 'an earlier kubectl debug container',
      msg: 'pods "p" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (container "debugger-abcde" must not include "SYS_PTRACE" in securityContext.capabilities.add)',
      want: ['debugger-abcde'],
    },
    {
      name: 'only the new container',
      msg: 'violates PodSecurity "baseline:latest": non-default capabilities (container "distroless-debug-new12" must not include "SYS_PTRACE" in securityContext.capabilities.add)',
      want: [],
    },
    {
      name: 'a list of containers, old and new',
      msg: 'violates PodSecurity "restricted:latest": runAsNonRoot != true (containers "distroless-debug-xxxxx", "app" and "distroless-debug-new12" must not set securityContext.runAsNonRoot=false)',
      // app is the pod's own container, not an earlier debugger (defect 17).
      want: ['distroless-debug-xxxxx'],
    },
    {
      name: 'the app container alone is never an earlier debugger',
      msg: 'violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (containers "app", "distroless-debug-new12" must set securityContext.allowPrivilegeEscalation=false)',
      want: [],
    },
    { name: 'no names at all', msg: 'violates PodSecurity "restricted:latest": host namespaces (hostPID=true)', want: [] },
  ])('$name', ({ msg, want }) => {
    expect(blamedEarlierContainers(msg, pod, 'distroless-debug-new12')).toEqual(want);
  });
});

describe('blamedOwnContainers', () => {
  const pod: V1Pod = {
    spec: {
      initContainers: [{ name: 'init' }],
      containers: [{ name: 'app' }, { name: 'sidecar' }],
      ephemeralContainers: [{ name: 'distroless-debug-xxxxx', image: 'busybox' }],
    },
  };
  it.each([
    {
      msg: 'violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (containers "app", "distroless-debug-new12" must set securityContext.allowPrivilegeEscalation=false)',
      want: ['app'],
    },
    {
      msg: 'violates PodSecurity "restricted:latest": runAsNonRoot != true (containers "init", "sidecar" and "distroless-debug-xxxxx" must not set securityContext.runAsNonRoot=false)',
      want: ['init', 'sidecar'],
    },
    { msg: 'violates PodSecurity "baseline:latest": non-default capabilities (container "distroless-debug-xxxxx" must not include "SYS_PTRACE")', want: [] },
  ])('$want', ({ msg, want }) => {
    expect(blamedOwnContainers(msg, pod)).toEqual(want);
  });
});
