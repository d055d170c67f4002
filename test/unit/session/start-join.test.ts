import type { V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/errors.js';
import { KubeClient } from '../../../src/kube/rest.js';
import type { DebugPlan } from '../../../src/plan/plan.js';
import { recordEnv } from '../../../src/record/record.js';
import { startDebugger } from '../../../src/session/start.js';
import { testOptions } from '../fixtures/options.js';
import { FakeApiServer } from '../kube/fake-apiserver.js';

// Two runs add the same debugger at the same moment, each with its own
// record: the second patch is refused ("may not be changed") and that run
// joins the first one's debugger instead of failing.
const spec = (by: string): V1EphemeralContainer => ({
  name: 'distroless-debug-abcdefgh',
  image: 'busybox',
  command: ['/bin/sh', '-c', 'keeper'],
  targetContainerName: 'app',
  env: [{ name: 'DD_MODE', value: 'exec' }, ...recordEnv({ openedBy: by, openedAt: '2026-11-28T10:00:00Z', version: '0.1.0' })],
  terminationMessagePolicy: 'File',
});

const base: V1Pod = { metadata: { name: 'web', namespace: 'ns', resourceVersion: '1' }, spec: { containers: [{ name: 'app' }] }, status: { phase: 'Running' } };

let server: FakeApiServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

function plan(container: V1EphemeralContainer): DebugPlan {
  return {
    namespace: 'ns',
    pod: 'web',
    target: { container: 'app' } as DebugPlan['target'],
    identity: { uid: 65532, gid: 65532, source: 'status' },
    profile: 'restricted',
    mode: 'exec',
    action: { kind: 'create', container },
    session: { command: ['true'], tty: false, stdin: false },
  };
}

async function attempt(stored: V1EphemeralContainer) {
  const after: V1Pod = {
    ...base,
    spec: { ...base.spec!, ephemeralContainers: [{ ...stored, imagePullPolicy: 'IfNotPresent' }] },
    status: { phase: 'Running', ephemeralContainerStatuses: [{ name: stored.name, image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { running: {} } }] },
  };
  server = await new FakeApiServer((req, res, seen) => {
    res.setHeader('Content-Type', 'application/json');
    if (req.method === 'PATCH') {
      res.statusCode = 422;
      return res.end(JSON.stringify({ kind: 'Status', status: 'Failure', code: 422, reason: 'Invalid', message: `Pod "web" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "${stored.name}" may not be changed` }));
    }
    if (seen.path === '/api/v1/namespaces/ns/pods/web') return res.end(JSON.stringify(after));
    res.statusCode = 404;
    res.end('{}');
  }).start();
  const kube = new KubeClient(server.connection());
  return startDebugger({ plan: plan(spec('bob')), pod: base, kube, options: testOptions(), emit: () => undefined, timed: (_p, f) => f() });
}

describe('startDebugger when a concurrent run added the same debugger first', () => {
  it('joins it and hands back its record', async () => {
    const started = await attempt(spec('alice'));
    expect(started.container).toBe('distroless-debug-abcdefgh');
    expect(started.joined?.openedBy).toBe('alice');
    await started.running;
    started.stop();
  });

  it('still fails when the container of that name is a different debugger', async () => {
    await expect(attempt({ ...spec('alice'), image: 'other' })).rejects.toBeInstanceOf(ApiError);
  });
});
