import { PassThrough } from 'node:stream';
import { WarningLog } from '../../../src/kube/warnings.js';
import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { NotRunningError } from '../../../src/errors.js';
import { KubeClient } from '../../../src/kube/rest.js';
import type { Options } from '../../../src/options.js';
import type { ProgressEvent } from '../../../src/progress/events.js';
import { runDebug } from '../../../src/session/run.js';
import { testOptions } from '../fixtures/options.js';
import { FakeApiServer } from '../kube/fake-apiserver.js';

// runDebug takes its client: the orchestration's decisions, checked against a
// scripted API server (the real one is in the e2e suite).
const options = (over: Partial<Options> = {}): Options =>
  testOptions({ ref: { kind: 'pod', name: 'web' }, command: ['true'], timeoutMs: 10_000, dryRun: 'client', output: 'json', ...over });

function pod(phase = 'Running'): V1Pod {
  return {
    metadata: { name: 'web', namespace: 'ns', uid: 'u', resourceVersion: '1' },
    spec: { containers: [{ name: 'app', image: 'app' }] },
    status: {
      phase,
      containerStatuses: [
        {
          name: 'app',
          image: 'app',
          imageID: '',
          ready: true,
          restartCount: 0,
          containerID: 'containerd://c0ffee',
          state: phase === 'Running' ? { running: { startedAt: new Date() } } : { terminated: { exitCode: 0 } },
          user: { linux: { uid: 65532, gid: 65532 } },
        },
      ],
    },
  };
}

let server: FakeApiServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function run(p: V1Pod, over: Partial<Options> = {}) {
  server = await new FakeApiServer((_req, res, seen) => {
    res.setHeader('Content-Type', 'application/json');
    if (seen.path === '/api/v1/namespaces/ns/pods/web') return res.end(JSON.stringify(p));
    if (seen.path === '/api/v1/namespaces/ns') return res.end(JSON.stringify({ metadata: { name: 'ns', labels: {} } }));
    if (seen.path.endsWith('/selfsubjectaccessreviews')) return res.end(JSON.stringify({ status: { allowed: true } }));
    res.statusCode = 404;
    res.end('{}');
  }).start();
  const conn = server.connection();
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  const events: ProgressEvent[] = [];
  const io = {
    stdin: Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.ReadStream,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: new PassThrough() as unknown as NodeJS.WriteStream,
    env: { HOME: '/nonexistent' },
    emit: (e: ProgressEvent) => events.push(e),
    random: () => 0,
  };
  const result = runDebug(options(over), io, { conn, kube: new KubeClient(conn), warnings: new WarningLog(() => {}) });
  return { result, out: () => out, events, seen: server.seen };
}

describe('runDebug with its own client', () => {
  it('--dry-run=client reads, checks and prints the shared debugger; it never patches', async () => {
    const r = await run(pod());
    expect(await r.result).toBe(0);
    const printed = JSON.parse(r.out()) as { name: string; securityContext: { runAsUser: number } };
    expect(printed.name).toMatch(/^distroless-debug-[bcdfghjklmnpqrstvwxz2456789]{8}$/);
    expect(printed.securityContext.runAsUser).toBe(65532);
    expect(r.seen.map((s) => s.method)).not.toContain('PATCH');
    expect(r.seen.filter((s) => s.path.endsWith('selfsubjectaccessreviews'))).toHaveLength(3);
  });

  it('a finished pod is refused before anything else is asked or changed (its last log is read to say why)', async () => {
    const r = await run(pod('Succeeded'), { dryRun: 'none' });
    await expect(r.result).rejects.toBeInstanceOf(NotRunningError);
    expect(r.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /api/v1/namespaces/ns/pods/web', 'GET /api/v1/namespaces/ns/pods/web/log']);
  });
});
