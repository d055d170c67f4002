import type { V1EphemeralContainer, V1Pod, V1SecurityContext } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  allContainerNames,
  buildDebugContainer,
  debuggerName,
  DEFAULT_IMAGE,
  NAME_PREFIX,
  type ContainerInput,
} from '../../../src/plan/container.js';
import { kubeLiteral } from '../../../src/plan/kube-literal.js';
import { attachScript, keeperScript, promptFor } from '../../../src/plan/scripts.js';

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const pod: V1Pod = {
  metadata: { name: 'web-1', namespace: 'shop' },
  spec: { containers: [{ name: 'app', image: 'gcr.io/distroless/static:nonroot' }] },
  status: { phase: 'Running' },
};

const sc: V1SecurityContext = {
  runAsUser: 65532,
  runAsGroup: 65532,
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  seccompProfile: { type: 'RuntimeDefault' },
  capabilities: { drop: ['ALL'] },
};

function input(over: Partial<ContainerInput> = {}): ContainerInput {
  return {
    pod,
    name: 'distroless-debug-bcdfg',
    image: DEFAULT_IMAGE,
    imagePullPolicy: undefined,
    target: { container: 'app', reason: 'only', containerId: 'abc123', sharedPidNamespace: false },
    identity: { uid: 65532, gid: 65532, source: 'status' },
    securityContext: sc,
    env: {},
    mode: 'exec',
    command: [],
    tty: false,
    idleTimeoutSeconds: 600,
    ...over,
  };
}

describe('constants', () => {
  it('has the documented prefix and image', () => {
    expect(NAME_PREFIX).toBe('distroless-debug-');
    expect(DEFAULT_IMAGE).toBe('docker.io/library/busybox:1.37.0');
  });
});

describe('buildDebugContainer', () => {
  // As the kubelet will read them: every $ doubled (src/plan/kube-literal.ts).
  const keeper = kubeLiteral(keeperScript());
  const attach = kubeLiteral(attachScript(promptFor('web-1', 'app')));
  const cases: Array<{ name: string; input: ContainerInput; want: V1EphemeralContainer }> = [
    {
      name: 'exec mode, known container ID',
      input: input(),
      want: {
        name: 'distroless-debug-bcdfg',
        image: 'docker.io/library/busybox:1.37.0',
        command: ['/bin/sh', '-c', keeper, 'distroless-debug-keeper'],
        env: [
          { name: 'DD_MODE', value: 'exec' },
          { name: 'DD_IDLE_TIMEOUT', value: '600' },
          { name: 'DD_LEASE', value: '30' },
          { name: 'DD_TARGET_CID', value: 'abc123' },
        ],
        targetContainerName: 'app',
        securityContext: sc,
        terminationMessagePolicy: 'File',
      },
    },
    {
      name: 'exec mode ignores command and tty',
      input: input({ command: ['ls', '-l'], tty: true }),
      want: {
        name: 'distroless-debug-bcdfg',
        image: 'docker.io/library/busybox:1.37.0',
        command: ['/bin/sh', '-c', keeper, 'distroless-debug-keeper'],
        env: [
          { name: 'DD_MODE', value: 'exec' },
          { name: 'DD_IDLE_TIMEOUT', value: '600' },
          { name: 'DD_LEASE', value: '30' },
          { name: 'DD_TARGET_CID', value: 'abc123' },
        ],
        targetContainerName: 'app',
        securityContext: sc,
        terminationMessagePolicy: 'File',
      },
    },
    {
      name: 'exec mode, unknown container ID: no DD_TARGET_CID',
      input: input({
        target: { container: 'app', reason: 'only', containerId: undefined, sharedPidNamespace: true },
        idleTimeoutSeconds: 0,
      }),
      want: {
        name: 'distroless-debug-bcdfg',
        image: 'docker.io/library/busybox:1.37.0',
        command: ['/bin/sh', '-c', keeper, 'distroless-debug-keeper'],
        env: [
          { name: 'DD_MODE', value: 'exec' },
          { name: 'DD_IDLE_TIMEOUT', value: '0' },
          { name: 'DD_LEASE', value: '30' },
        ],
        targetContainerName: 'app',
        securityContext: sc,
        terminationMessagePolicy: 'File',
      },
    },
    {
      name: 'exec mode, empty container ID: no DD_TARGET_CID',
      input: input({ target: { container: 'app', reason: 'flag', containerId: '', sharedPidNamespace: false } }),
      want: {
        name: 'distroless-debug-bcdfg',
        image: 'docker.io/library/busybox:1.37.0',
        command: ['/bin/sh', '-c', keeper, 'distroless-debug-keeper'],
        env: [
          { name: 'DD_MODE', value: 'exec' },
          { name: 'DD_IDLE_TIMEOUT', value: '600' },
          { name: 'DD_LEASE', value: '30' },
        ],
        targetContainerName: 'app',
        securityContext: sc,
        terminationMessagePolicy: 'File',
      },
    },
    {
      name: 'exec mode with user env (in order, after ours) and a pull policy',
      input: input({ env: { FOO: 'bar', EMPTY: '', 'a.b-c': 'x=y' }, imagePullPolicy: 'Always', image: 'registry.local/busybox:1', idleTimeoutSeconds: 90 }),
      want: {
        name: 'distroless-debug-bcdfg',
        image: 'registry.local/busybox:1',
        command: ['/bin/sh', '-c', keeper, 'distroless-debug-keeper'],
        env: [
          { name: 'DD_MODE', value: 'exec' },
          { name: 'DD_IDLE_TIMEOUT', value: '90' },
          { name: 'DD_LEASE', value: '30' },
          { name: 'DD_TARGET_CID', value: 'abc123' },
          { name: 'FOO', value: 'bar' },
          { name: 'EMPTY', value: '' },
          { name: 'a.b-c', value: 'x=y' },
        ],
        targetContainerName: 'app',
        securityContext: sc,
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'Always',
      },
    },
    {
      name: 'attach mode, interactive tty',
      input: input({ mode: 'attach', tty: true, imagePullPolicy: 'IfNotPresent' }),
      want: {
        name: 'distroless-debug-bcdfg',
        image: 'docker.io/library/busybox:1.37.0',
        command: ['/bin/sh', '-c', attach, 'distroless-debug-session'],
        env: [
          { name: 'DD_MODE', value: 'attach' },
          { name: 'DD_IDLE_TIMEOUT', value: '600' },
          { name: 'DD_TARGET_CID', value: 'abc123' },
        ],
        targetContainerName: 'app',
        securityContext: sc,
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
        stdin: true,
        stdinOnce: true,
        tty: true,
      },
    },
    {
      name: 'attach mode with a command, no tty, user env',
      input: input({
        mode: 'attach',
        command: ['cat', '/etc/os-release'],
        tty: false,
        env: { LANG: 'C' },
        target: { container: 'app', reason: 'only', containerId: undefined, sharedPidNamespace: false },
      }),
      want: {
        name: 'distroless-debug-bcdfg',
        image: 'docker.io/library/busybox:1.37.0',
        command: ['/bin/sh', '-c', attach, 'distroless-debug-session', 'cat', '/etc/os-release'],
        env: [
          { name: 'DD_MODE', value: 'attach' },
          { name: 'DD_IDLE_TIMEOUT', value: '600' },
          { name: 'LANG', value: 'C' },
        ],
        targetContainerName: 'app',
        securityContext: sc,
        terminationMessagePolicy: 'File',
        stdin: true,
        stdinOnce: true,
        tty: false,
      },
    },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    expect(buildDebugContainer(input)).toStrictEqual(want);
  });

  it('every $ reaches the shell: the kubelet expands $(VAR) and $$ in a command', () => {
    for (const mode of ['exec', 'attach'] as const) {
      const c = buildDebugContainer(input({ mode, command: ['sh', '-c', 'echo $$ $(HOME) $HOME'] }));
      // The kubelet's rule: $$ is one $, $(NAME) a reference; doubled, nothing is expanded.
      const kubeletReads = (s: string): string => s.replace(/\$(\$|\([A-Za-z_][A-Za-z0-9_]*\))/g, (_m, next: string) => (next === '$' ? '$' : `<${next}>`));
      const seen = (c.command ?? []).map(kubeletReads);
      expect(seen[2]).toBe(mode === 'exec' ? keeperScript() : attachScript(promptFor('web-1', 'app')));
      if (mode === 'attach') expect(seen.slice(4)).toEqual(['sh', '-c', 'echo $$ $(HOME) $HOME']);
    }
  });

  it('the attach prompt names the pod and target container', () => {
    const c = buildDebugContainer(
      input({ mode: 'attach', pod: { metadata: { name: 'api-7' } }, target: { container: 'server', reason: 'flag', containerId: undefined, sharedPidNamespace: false } }),
    );
    expect(c.command?.[2]).toBe(kubeLiteral(attachScript(promptFor('api-7', 'server'))));
    // What the shell receives once the kubelet has read $$ as $:
    expect(c.command?.[2]?.replaceAll('$$', '$')).toContain("PS1='[debug pod/api-7 server] $(p=");
  });

  it('a user env entry never replaces ours', () => {
    const c = buildDebugContainer(input({ env: { DD_MODE: 'attach' } }));
    expect(c.env?.[0]).toEqual({ name: 'DD_MODE', value: 'exec' });
  });

  it('uses only fields allowed in an ephemeral container', () => {
    const allowed = new Set([
      'name', 'image', 'command', 'args', 'workingDir', 'env', 'envFrom', 'volumeMounts', 'volumeDevices',
      'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin',
      'stdinOnce', 'tty', 'targetContainerName',
    ]);
    for (const c of cases) {
      for (const key of Object.keys(buildDebugContainer(c.input))) expect(allowed.has(key), key).toBe(true);
    }
  });
});

/** A deterministic random() that yields the given alphabet indexes. */
function seq(indexes: number[]): () => number {
  let i = 0;
  return () => {
    const idx = indexes[i++ % indexes.length] as number;
    return (idx + 0.5) / ALPHABET.length;
  };
}

describe('debuggerName', () => {
  it.each([
    { name: 'all zeros', random: () => 0, want: 'distroless-debug-bbbbb' },
    { name: 'just under one', random: () => 0.999999, want: 'distroless-debug-99999' },
    { name: 'indexes 0..4', random: seq([0, 1, 2, 3, 4]), want: 'distroless-debug-bcdfg' },
    { name: 'indexes 22..26', random: seq([22, 23, 24, 25, 26]), want: 'distroless-debug-56789' },
  ])('$name => $want', ({ random, want }) => {
    expect(debuggerName(pod, random)).toBe(want);
  });

  it('skips names taken by any kind of container', () => {
    const busy: V1Pod = {
      metadata: { name: 'web-1' },
      spec: {
        initContainers: [{ name: 'distroless-debug-bbbbb' }],
        containers: [{ name: 'distroless-debug-ccccc' }],
        ephemeralContainers: [{ name: 'distroless-debug-ddddd' }],
      },
    };
    // b x5, then c x5, then d x5, then f x5.
    const random = seq([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3]);
    expect(debuggerName(busy, random)).toBe('distroless-debug-fffff');
  });

  it('draws five random numbers per name', () => {
    let calls = 0;
    debuggerName(pod, () => {
      calls++;
      return 0.3;
    });
    expect(calls).toBe(5);
  });

  it('only produces DNS-label characters from the unambiguous alphabet', () => {
    let x = 0.123;
    const lcg = () => (x = (x * 9301 + 0.49297) % 1);
    for (let i = 0; i < 200; i++) expect(debuggerName(pod, lcg)).toMatch(/^distroless-debug-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });
});

describe('allContainerNames', () => {
  it('lists init, regular and ephemeral containers', () => {
    expect(
      allContainerNames({
        spec: { initContainers: [{ name: 'i' }], containers: [{ name: 'a' }, { name: 'b' }], ephemeralContainers: [{ name: 'e' }] },
      }),
    ).toEqual(['i', 'a', 'b', 'e']);
    expect(allContainerNames({})).toEqual([]);
  });
});
