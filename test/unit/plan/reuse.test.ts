import type { V1ContainerState, V1ContainerStatus, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Identity } from '../../../src/plan/identity.js';
import { findReusableDebugger, previousDebuggers } from '../../../src/plan/reuse.js';

const IMAGE = 'docker.io/library/busybox:1.37.0';
const id: Identity = { uid: 65532, gid: 65532, source: 'status' };
const RUNNING: V1ContainerState = { running: { startedAt: new Date('2025-01-01T00:00:00Z') } };

function eph(name: string, over: { target?: string; image?: string; mode?: string | null; uid?: number; gid?: number } = {}): V1EphemeralContainer {
  const c: V1EphemeralContainer = {
    name,
    image: over.image ?? IMAGE,
    targetContainerName: over.target ?? 'app',
    securityContext: { runAsUser: over.uid ?? 65532, runAsGroup: over.gid ?? 65532 },
    env: over.mode === null ? [{ name: 'DD_IDLE_TIMEOUT', value: '600' }] : [{ name: 'DD_MODE', value: over.mode ?? 'exec' }],
  };
  return c;
}

function st(name: string, state: V1ContainerState | undefined): V1ContainerStatus {
  return { name, image: IMAGE, imageID: '', ready: false, restartCount: 0, ...(state ? { state } : {}) };
}

function podWith(containers: V1EphemeralContainer[], statuses: V1ContainerStatus[]): V1Pod {
  return {
    metadata: { name: 'web-1' },
    spec: { containers: [{ name: 'app' }, { name: 'sidecar' }], ephemeralContainers: containers },
    status: { phase: 'Running', ephemeralContainerStatuses: statuses },
  };
}

const q = (pod: V1Pod, over: Partial<{ target: string; image: string; identity: Identity; env: Record<string, string> }> = {}) =>
  findReusableDebugger({ pod, target: over.target ?? 'app', image: over.image ?? IMAGE, identity: over.identity ?? id, env: over.env ?? {} });

describe('findReusableDebugger', () => {
  it.each([
    { name: 'a running matching keeper', pod: podWith([eph('distroless-debug-aaaaa')], [st('distroless-debug-aaaaa', RUNNING)]), want: 'distroless-debug-aaaaa' },
    {
      name: 'not running (waiting)',
      pod: podWith([eph('distroless-debug-aaaaa')], [st('distroless-debug-aaaaa', { waiting: { reason: 'ContainerCreating' } })]),
      want: undefined,
    },
    {
      name: 'not running (terminated)',
      pod: podWith([eph('distroless-debug-aaaaa')], [st('distroless-debug-aaaaa', { terminated: { exitCode: 0, message: 'idle-timeout 600' } })]),
      want: undefined,
    },
    { name: 'no status yet', pod: podWith([eph('distroless-debug-aaaaa')], []), want: undefined },
    { name: 'status without state', pod: podWith([eph('distroless-debug-aaaaa')], [st('distroless-debug-aaaaa', undefined)]), want: undefined },
    {
      name: 'another target container',
      pod: podWith([eph('distroless-debug-aaaaa', { target: 'sidecar' })], [st('distroless-debug-aaaaa', RUNNING)]),
      want: undefined,
    },
    {
      name: 'another image',
      pod: podWith([eph('distroless-debug-aaaaa', { image: 'busybox:latest' })], [st('distroless-debug-aaaaa', RUNNING)]),
      want: undefined,
    },
    {
      name: 'another uid',
      pod: podWith([eph('distroless-debug-aaaaa', { uid: 1001 })], [st('distroless-debug-aaaaa', RUNNING)]),
      want: undefined,
    },
    {
      name: 'another gid',
      pod: podWith([eph('distroless-debug-aaaaa', { gid: 0 })], [st('distroless-debug-aaaaa', RUNNING)]),
      want: undefined,
    },
    {
      name: 'attach mode',
      pod: podWith([eph('distroless-debug-aaaaa', { mode: 'attach' })], [st('distroless-debug-aaaaa', RUNNING)]),
      want: undefined,
    },
    {
      name: 'no DD_MODE',
      pod: podWith([eph('distroless-debug-aaaaa', { mode: null })], [st('distroless-debug-aaaaa', RUNNING)]),
      want: undefined,
    },
    {
      name: "another tool's container (kubectl debug)",
      pod: podWith([eph('debugger-x7k2p')], [st('debugger-x7k2p', RUNNING)]),
      want: undefined,
    },
    {
      name: 'no ephemeral containers',
      pod: { metadata: { name: 'web-1' }, spec: { containers: [{ name: 'app' }] }, status: { phase: 'Running' } } as V1Pod,
      want: undefined,
    },
    {
      name: 'the running one among stopped ones',
      pod: podWith(
        [eph('distroless-debug-aaaaa'), eph('distroless-debug-bbbbb'), eph('distroless-debug-ccccc')],
        [
          st('distroless-debug-aaaaa', { terminated: { exitCode: 0 } }),
          st('distroless-debug-bbbbb', RUNNING),
          st('distroless-debug-ccccc', { terminated: { exitCode: 3 } }),
        ],
      ),
      want: 'distroless-debug-bbbbb',
    },
    {
      name: 'the newest of several running matches (spec order, not status order)',
      pod: podWith(
        [eph('distroless-debug-zzzzz'), eph('distroless-debug-bbbbb'), eph('distroless-debug-mmmmm', { uid: 1 })],
        [st('distroless-debug-mmmmm', RUNNING), st('distroless-debug-bbbbb', RUNNING), st('distroless-debug-zzzzz', RUNNING)],
      ),
      want: 'distroless-debug-bbbbb',
    },
  ])('$name => $want', ({ pod, want }) => {
    expect(q(pod)).toBe(want);
  });

  it('matches identity, target and image given by the caller', () => {
    const pod = podWith(
      [eph('distroless-debug-aaaaa', { target: 'sidecar', image: 'busybox:musl', uid: 0, gid: 0 })],
      [st('distroless-debug-aaaaa', RUNNING)],
    );
    expect(q(pod, { target: 'sidecar', image: 'busybox:musl', identity: { uid: 0, gid: 0, source: 'correction' } })).toBe(
      'distroless-debug-aaaaa',
    );
    expect(q(pod, { target: 'sidecar', image: 'busybox:musl', identity: { uid: 0, gid: 1, source: 'flag' } })).toBeUndefined();
  });
});

describe('previousDebuggers', () => {
  it('lists only this plugin’s containers, in order', () => {
    const a = eph('distroless-debug-aaaaa');
    const b = eph('distroless-debug-bbbbb', { mode: 'attach' });
    const pod = podWith([a, eph('debugger-x'), b], []);
    expect(previousDebuggers(pod)).toEqual([a, b]);
    expect(previousDebuggers({})).toEqual([]);
  });
});

describe('findReusableDebugger and --env', () => {
  const withEnv = (name: string, env: Record<string, string>): V1EphemeralContainer => {
    const c = eph(name);
    c.env = [...(c.env ?? []), ...Object.entries(env).map(([k, v]) => ({ name: k, value: v }))];
    return c;
  };
  it.each<{ name: string; keeper: Record<string, string>; want: Record<string, string>; reused: boolean }>([
    { name: 'same user env', keeper: { FOO: '1' }, want: { FOO: '1' }, reused: true },
    { name: 'none on either side', keeper: {}, want: {}, reused: true },
    { name: 'keeper has a variable the session does not ask for', keeper: { FOO: '1' }, want: {}, reused: false },
    { name: 'session asks for a variable the keeper lacks', keeper: {}, want: { FOO: '1' }, reused: false },
    { name: 'different value', keeper: { FOO: '1' }, want: { FOO: '2' }, reused: false },
  ])('$name', ({ keeper, want, reused }) => {
    const pod = podWith([withEnv('distroless-debug-aaaaa', keeper)], [st('distroless-debug-aaaaa', RUNNING)]);
    expect(q(pod, { env: want })).toBe(reused ? 'distroless-debug-aaaaa' : undefined);
  });

  it('picks the keeper that started last, whatever the list order', () => {
    const later: V1ContainerState = { running: { startedAt: new Date('2025-01-02T00:00:00Z') } };
    const pod = podWith(
      [eph('distroless-debug-newer'), eph('distroless-debug-older')],
      [st('distroless-debug-newer', later), st('distroless-debug-older', RUNNING)],
    );
    expect(q(pod)).toBe('distroless-debug-newer');
  });
});
