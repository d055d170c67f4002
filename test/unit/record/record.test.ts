import type { V1ContainerStatus, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { buildDebugContainer, NAME_PREFIX, reuseKey, sharedDebuggerName } from '../../../src/plan/container.js';
import { makePlan } from '../../../src/plan/plan.js';
import { findReusableDebugger } from '../../../src/plan/reuse.js';
import { checkReason, describeRecord, foreignDebuggerLine, readRecord, recordEnv, recordTime, withoutRecord, type DebuggerRecord } from '../../../src/record/record.js';
import { testOptions } from '../fixtures/options.js';

const alice: DebuggerRecord = { openedBy: 'alice', openedAt: '2026-11-28T09:00:00Z', version: '0.1.0', reason: 'INC-1' };
const bob: DebuggerRecord = { openedBy: 'bob', openedAt: '2026-11-28T10:00:00Z', version: '0.2.0' };

const pod: V1Pod = {
  metadata: { name: 'web-1', namespace: 'demo' },
  spec: { containers: [{ name: 'app', securityContext: { runAsUser: 65532, runAsGroup: 65532 } }] },
  status: {
    phase: 'Running',
    containerStatuses: [{ name: 'app', image: 'x', imageID: '', ready: true, restartCount: 0, containerID: 'containerd://abc', state: { running: { startedAt: new Date() } } }],
  },
};

function spec(record: DebuggerRecord | undefined): V1EphemeralContainer {
  return buildDebugContainer({
    pod,
    name: '',
    image: 'busybox',
    imagePullPolicy: undefined,
    target: { container: 'app', containerId: 'abc', how: 'only' } as never,
    identity: { uid: 65532, gid: 65532, source: 'status' },
    securityContext: { runAsUser: 65532 },
    env: { LOG: '1' },
    mode: 'exec',
    command: [],
    tty: false,
    idleTimeoutSeconds: 600,
    record,
  });
}

describe('the record stays out of the reuse key', () => {
  it('is written into the env, after the user env', () => {
    const c = spec(alice);
    expect(c.env?.map((e) => e.name).slice(-4)).toEqual(['DD_OPENED_BY', 'DD_OPENED_AT', 'DD_PLUGIN_VERSION', 'DD_REASON']);
    expect(readRecord(c)).toEqual(alice);
  });

  it('two runs by different people, at different times, compute the same key and name', () => {
    expect(reuseKey(spec(alice))).toBe(reuseKey(spec(bob)));
    expect(reuseKey(spec(alice))).toBe(reuseKey(spec(undefined)));
    expect(withoutRecord(spec(alice))).toEqual(spec(undefined));
  });

  it("bob's run reuses alice's running debugger instead of adding one, and says whose it is", () => {
    const name = sharedDebuggerName(pod, reuseKey(spec(alice)));
    const stored = { ...spec(alice), name, imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' };
    const status: V1ContainerStatus = { name, image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { running: {} } };
    const withDebugger: V1Pod = { ...pod, spec: { ...pod.spec!, ephemeralContainers: [stored] }, status: { ...pod.status, ephemeralContainerStatuses: [status] } };
    expect(findReusableDebugger(withDebugger, spec(bob))).toEqual({ name, state: 'running', record: alice });
    expect(name.startsWith(NAME_PREFIX)).toBe(true);
  });

  it('makePlan with a record reuses a debugger added without one (older plugin versions)', () => {
    const options = testOptions({ ref: { kind: 'pod', name: 'web-1' } });
    const first = makePlan({ pod, options, psaLevel: 'privileged', mode: 'exec', stdinIsTTY: false, random: Math.random });
    expect(first.action.kind).toBe('create');
    const added = first.action.kind === 'create' ? first.action.container : undefined;
    const status: V1ContainerStatus = { name: added!.name, image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { running: {} } };
    const after: V1Pod = { ...pod, spec: { ...pod.spec!, ephemeralContainers: [added!] }, status: { ...pod.status, ephemeralContainerStatuses: [status] } };
    const second = makePlan({ pod: after, options, psaLevel: 'privileged', mode: 'exec', stdinIsTTY: false, random: Math.random, record: bob });
    expect(second.action).toEqual({ kind: 'reuse', container: added!.name, state: 'running' });
  });
});

describe('record helpers', () => {
  it('recordTime is UTC whole seconds', () => {
    expect(recordTime(new Date('2026-11-28T09:41:07.123Z'))).toBe('2026-11-28T09:41:07Z');
  });
  it('recordEnv leaves out an empty reason', () => {
    expect(recordEnv(bob).map((e) => e.name)).toEqual(['DD_OPENED_BY', 'DD_OPENED_AT', 'DD_PLUGIN_VERSION']);
  });
  it('describes and names a foreign debugger only when it is not ours', () => {
    expect(describeRecord(alice)).toBe('alice at 2026-11-28T09:00:00Z (reason: INC-1)');
    expect(foreignDebuggerLine('d', alice, 'alice')).toBeUndefined();
    expect(foreignDebuggerLine('d', undefined, 'bob')).toBeUndefined();
    expect(foreignDebuggerLine('d', alice, 'bob')).toBe('debugger d was opened by alice at 2026-11-28T09:00:00Z (reason: INC-1), not by you (bob); its record stays theirs');
  });
  it('checkReason trims, refuses control characters, empty flags and long text', () => {
    expect(checkReason('  INC-1 ', true)).toBe('INC-1');
    expect(checkReason(undefined, true)).toBeUndefined();
    expect(checkReason('', false)).toBeUndefined();
    expect(() => checkReason(' ', true)).toThrow(/--reason has an empty value/);
    expect(() => checkReason('a\nb', true)).toThrow(/one line of printable text/);
    expect(() => checkReason('a\u001b[2Jb', false)).toThrow(/DISTROLESS_DEBUG_REASON must be one line/);
    expect(() => checkReason('x'.repeat(513), true)).toThrow(/keep it to 512/);
  });
});
