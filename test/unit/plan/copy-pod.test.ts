import { spawnSync } from 'node:child_process';
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { appCommand, buildPodCopy, COPY_BIN, COPY_DIR, COPY_INIT, COPY_OF_LABEL, COPY_VOLUME, copySessionScript, shellJoin } from '../../../src/plan/copy-pod.js';
import { describeLastRun, lastRun } from '../../../src/plan/not-running.js';

const sc = { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };

const original: V1Pod = {
  metadata: {
    name: 'web-7d9c-x2x4p',
    namespace: 'shop',
    uid: 'u-1',
    resourceVersion: '42',
    labels: { app: 'web', 'pod-template-hash': '7d9c' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'team': 'a' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9c', uid: 'rs-1', controller: true }],
  },
  spec: {
    nodeName: 'node-1',
    serviceAccountName: 'web-sa',
    nodeSelector: { disk: 'ssd' },
    tolerations: [{ key: 'k', operator: 'Exists' }],
    securityContext: { runAsUser: 1001, fsGroup: 2000 },
    ephemeralContainers: [{ name: 'distroless-debug-abc', image: 'busybox' }],
    initContainers: [{ name: 'migrate', image: 'web:1' }],
    containers: [
      {
        name: 'app',
        image: 'web:1',
        args: ['--port', '8080'],
        env: [{ name: 'MODE', value: 'prod' }],
        securityContext: sc,
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
        livenessProbe: { httpGet: { path: '/', port: 8080 } },
        readinessProbe: { httpGet: { path: '/', port: 8080 } },
        startupProbe: { httpGet: { path: '/', port: 8080 } },
        lifecycle: { preStop: { exec: { command: ['/app', 'drain'] } } },
      },
      { name: 'sidecar', image: 'proxy:1' },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
  status: { phase: 'Running' },
};

describe('the --copy-to pod', () => {
  const copy = buildPodCopy({ pod: original, name: 'web-debug', container: 'app', image: 'busybox:1.37.0', imagePullPolicy: 'IfNotPresent' });
  const app = copy.spec!.containers.find((c) => c.name === 'app')!;

  it('keeps what makes the app the app', () => {
    expect(app.image).toBe('web:1');
    expect(app.env).toEqual([{ name: 'MODE', value: 'prod' }]);
    expect(app.securityContext).toEqual(sc);
    expect(app.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(copy.spec).toMatchObject({ serviceAccountName: 'web-sa', nodeSelector: { disk: 'ssd' }, tolerations: [{ key: 'k', operator: 'Exists' }], securityContext: { runAsUser: 1001, fsGroup: 2000 } });
    expect(copy.spec!.containers.find((c) => c.name === 'sidecar')).toEqual({ name: 'sidecar', image: 'proxy:1' });
  });

  it('idles the app in BusyBox from a shared emptyDir, filled by an init container every Pod Security level admits', () => {
    expect(app.command?.[0]).toBe(`${COPY_BIN}/busybox`);
    expect(app.args).toBeUndefined();
    expect(app.livenessProbe ?? app.readinessProbe ?? app.startupProbe ?? app.lifecycle).toBeUndefined();
    expect(app.volumeMounts).toContainEqual({ name: COPY_VOLUME, mountPath: COPY_DIR, readOnly: true });
    expect(copy.spec!.volumes).toContainEqual({ name: COPY_VOLUME, emptyDir: {} });
    const init = copy.spec!.initContainers![0]!;
    expect(init).toMatchObject({ name: COPY_INIT, image: 'busybox:1.37.0', imagePullPolicy: 'IfNotPresent', securityContext: { ...sc, runAsUser: 65532, runAsGroup: 65532 } });
    expect(copy.spec!.initContainers!.map((c) => c.name)).toEqual([COPY_INIT, 'migrate']);
  });

  it('nothing adopts it: no original labels, no owner, no node, no ephemeral containers, no restarts', () => {
    expect(copy.metadata).toEqual({ name: 'web-debug', namespace: 'shop', labels: { [COPY_OF_LABEL]: 'web-7d9c-x2x4p' }, annotations: { team: 'a' } });
    expect(copy.spec!.nodeName).toBeUndefined();
    expect(copy.spec!.ephemeralContainers).toBeUndefined();
    expect(copy.spec!.restartPolicy).toBe('Never');
    expect(copy.status).toBeUndefined();
  });

  it('leaves the original untouched', () => {
    expect(original.spec!.containers[0]!.args).toEqual(['--port', '8080']);
    expect(original.spec!.nodeName).toBe('node-1');
  });
});

describe("the app's command", () => {
  it.each([
    [{ command: ['/app'], args: ['-v'] }, { entrypoint: ['/x'], cmd: ['y'] }, ['/app', '-v']],
    [{ command: ['/app'] }, { entrypoint: ['/x'], cmd: ['y'] }, ['/app']],
    [{ args: ['-v'] }, { entrypoint: ['/x'], cmd: ['y'] }, ['/x', '-v']],
    [{}, { entrypoint: ['/x'], cmd: ['y'] }, ['/x', 'y']],
    [{}, undefined, undefined],
  ])('%j with image %j -> %j', (c, image, want) => {
    expect(appCommand({ name: 'app', ...c }, image)).toEqual(want);
  });

  it('is quoted for the shell', () => {
    expect(shellJoin(['/app', '--name', "it's", 'a b'])).toBe(`/app --name 'it'\\''s' 'a b'`);
  });

  it('the session script exports it and runs the command in /', () => {
    const r = spawnSync('/bin/busybox', ['sh', '-c', copySessionScript('$ '), 'distroless-debug-copy', '/app --port 1', 'sh', '-c', 'echo "$APP_COMMAND|$PWD|${PATH%%:*}"'], { encoding: 'utf8', cwd: '/tmp' });
    expect(r.stdout).toBe(`/app --port 1|/|${COPY_BIN}\n`);
  });
});

describe('why a container is not running', () => {
  const pod = (status: object): V1Pod => ({ status: { containerStatuses: [{ name: 'app', image: '', imageID: '', ready: false, restartCount: 4, ...status }] } });

  it('crash-looping: the previous run', () => {
    const run = lastRun(pod({ state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-11-28T09:41:00Z' } } }), 'app');
    expect(run).toEqual({ reason: 'Error', exitCode: 1, finishedAt: '2026-11-28T09:41:00Z', restarts: 4, previous: true });
    expect(describeLastRun('app', run!)).toBe('container app last exited: Error, exit code 1, at 2026-11-28T09:41:00Z (restarted 4 times)');
  });

  it('completed: the current run', () => {
    expect(lastRun(pod({ restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }), 'app')).toMatchObject({ reason: 'Completed', exitCode: 0, previous: false, restarts: 0 });
  });

  it('never ran: nothing to say', () => {
    expect(lastRun(pod({ state: { waiting: { reason: 'ContainerCreating' } } }), 'app')).toBeUndefined();
  });
});
