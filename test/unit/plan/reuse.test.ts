import type { V1ContainerState, V1ContainerStatus, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { canonicalJSON, NAME_PREFIX, reuseKey, sharedDebuggerName } from '../../../src/plan/container.js';
import { findReusableDebugger, previousDebuggers } from '../../../src/plan/reuse.js';

const IMAGE = 'docker.io/library/busybox:1.37.0';
const RUNNING: V1ContainerState = { running: { startedAt: new Date('2025-01-01T00:00:00Z') } };
const WAITING: V1ContainerState = { waiting: { reason: 'ContainerCreating' } };
const EXITED: V1ContainerState = { terminated: { exitCode: 0, message: 'idle-timeout 600\n' } };

/** What a run wants to add (name not yet chosen). */
function wanted(over: Partial<V1EphemeralContainer> = {}): V1EphemeralContainer {
  return {
    name: '',
    image: IMAGE,
    command: ['/bin/sh', '-c', 'keeper', 'distroless-debug-keeper'],
    env: [
      { name: 'DD_MODE', value: 'exec' },
      { name: 'DD_IDLE_TIMEOUT', value: '600' },
    ],
    targetContainerName: 'app',
    securityContext: { runAsUser: 65532, runAsGroup: 65532, capabilities: { drop: ['ALL'] } },
    terminationMessagePolicy: 'File',
    ...over,
  };
}

/** As the API server stores it: named, with defaulted fields added. */
function stored(name: string, spec: V1EphemeralContainer = wanted()): V1EphemeralContainer {
  return { ...spec, name, imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' };
}

const base = NAME_PREFIX + reuseKey(wanted());

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

describe('reuseKey', () => {
  it('is stable, ignores the name and key order, and has 8 letters of the name alphabet', () => {
    const a = wanted();
    const b = { ...wanted(), name: 'x' };
    const reordered = JSON.parse(canonicalJSON(a)) as V1EphemeralContainer;
    expect(reuseKey(a)).toBe(reuseKey(b));
    expect(reuseKey(a)).toBe(reuseKey(reordered));
    expect(reuseKey(a)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{8}$/);
  });

  it.each<[string, Partial<V1EphemeralContainer>]>([
    ['another image', { image: 'busybox:musl' }],
    ['another target', { targetContainerName: 'sidecar' }],
    ['another uid', { securityContext: { runAsUser: 1001, runAsGroup: 65532, capabilities: { drop: ['ALL'] } } }],
    ['another profile (capabilities)', { securityContext: { runAsUser: 0, runAsGroup: 0, capabilities: { add: ['SYS_PTRACE'] } } }],
    ['another idle timeout', { env: [{ name: 'DD_MODE', value: 'exec' }, { name: 'DD_IDLE_TIMEOUT', value: '20' }] }],
    ['another user env', { env: [{ name: 'DD_MODE', value: 'exec' }, { name: 'DD_IDLE_TIMEOUT', value: '600' }, { name: 'FOO', value: '1' }] }],
    ['another pull policy', { imagePullPolicy: 'Always' }],
  ])('changes with %s', (_name, over) => {
    expect(reuseKey(wanted(over))).not.toBe(reuseKey(wanted()));
  });
});

describe('sharedDebuggerName', () => {
  it('is the key, then the next free generation', () => {
    expect(sharedDebuggerName(podWith([], []), 'kkkkkkkk')).toBe(`${NAME_PREFIX}kkkkkkkk`);
    expect(sharedDebuggerName(podWith([stored(`${NAME_PREFIX}kkkkkkkk`)], []), 'kkkkkkkk')).toBe(`${NAME_PREFIX}kkkkkkkk-2`);
    expect(
      sharedDebuggerName(podWith([stored(`${NAME_PREFIX}kkkkkkkk`), stored(`${NAME_PREFIX}kkkkkkkk-2`)], []), 'kkkkkkkk'),
    ).toBe(`${NAME_PREFIX}kkkkkkkk-3`);
  });
});

describe('findReusableDebugger', () => {
  it.each([
    { name: 'a running one', pod: podWith([stored(base)], [st(base, RUNNING)]), want: { name: base, state: 'running' } },
    { name: 'one still starting (waiting)', pod: podWith([stored(base)], [st(base, WAITING)]), want: { name: base, state: 'starting' } },
    { name: 'one in the spec with no status yet', pod: podWith([stored(base)], []), want: { name: base, state: 'starting' } },
    { name: 'a status without state', pod: podWith([stored(base)], [st(base, undefined)]), want: { name: base, state: 'starting' } },
    { name: 'an exited one', pod: podWith([stored(base)], [st(base, EXITED)]), want: undefined },
    {
      name: 'the running generation among exited ones',
      pod: podWith([stored(base), stored(`${base}-2`), stored(`${base}-3`)], [st(base, EXITED), st(`${base}-2`, RUNNING), st(`${base}-3`, EXITED)]),
      want: { name: `${base}-2`, state: 'running' },
    },
    {
      name: 'a running one before a newer starting one',
      pod: podWith([stored(base), stored(`${base}-2`)], [st(base, RUNNING), st(`${base}-2`, WAITING)]),
      want: { name: base, state: 'running' },
    },
    {
      name: 'the newest of two running generations',
      pod: podWith([stored(`${base}-3`), stored(`${base}-2`)], [st(`${base}-2`, RUNNING), st(`${base}-3`, RUNNING)]),
      want: { name: `${base}-3`, state: 'running' },
    },
    {
      name: 'a name that only starts like ours',
      pod: podWith([stored(`${base}x`), stored(`${base}-2x`)], [st(`${base}x`, RUNNING), st(`${base}-2x`, RUNNING)]),
      want: undefined,
    },
    {
      name: 'our name but another spec (never reuse what differs)',
      pod: podWith([stored(base, wanted({ image: 'busybox:musl' }))], [st(base, RUNNING)]),
      want: undefined,
    },
    { name: 'a random-named (--new) debugger', pod: podWith([stored(`${NAME_PREFIX}bbbbb`)], [st(`${NAME_PREFIX}bbbbb`, RUNNING)]), want: undefined },
    { name: "another tool's container (kubectl debug)", pod: podWith([stored('debugger-x7k2p')], [st('debugger-x7k2p', RUNNING)]), want: undefined },
    { name: 'no ephemeral containers', pod: { metadata: { name: 'web-1' }, spec: { containers: [{ name: 'app' }] } } as V1Pod, want: undefined },
  ])('$name', ({ pod, want }) => {
    expect(findReusableDebugger(pod, wanted())).toStrictEqual(want);
  });

  it('never reuses one whose profile or idle timeout differs (what is printed is what runs)', () => {
    const general = wanted({ securityContext: { runAsUser: 0, runAsGroup: 0, capabilities: { add: ['SYS_PTRACE'] } } });
    const pod = podWith([stored(NAME_PREFIX + reuseKey(general), general)], [st(NAME_PREFIX + reuseKey(general), RUNNING)]);
    expect(findReusableDebugger(pod, wanted())).toBeUndefined();
    expect(findReusableDebugger(pod, general)).toStrictEqual({ name: NAME_PREFIX + reuseKey(general), state: 'running' });
  });
});

describe('previousDebuggers', () => {
  it('lists only this plugin’s containers, in order', () => {
    const a = stored(`${NAME_PREFIX}aaaaa`);
    const b = stored(`${NAME_PREFIX}bbbbb`);
    const pod = podWith([a, stored('debugger-x'), b], []);
    expect(previousDebuggers(pod)).toEqual([a, b]);
    expect(previousDebuggers({})).toEqual([]);
  });
});
