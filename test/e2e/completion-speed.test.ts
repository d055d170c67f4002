import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createPod, ensureNamespace, kubectl, KUBECTL, REPO, run, uniq } from './helpers.js';

// Issue 9 item 7: completion lists pods as a server-side Table without
// objects (bytes per row instead of whole pods), and offers the same running
// pods kubectl knows of, leaving out one being deleted.
const ns = uniq('dd-compl');
const app = 'web-a';
const dying = 'web-dying';
const dir = mkdtempSync(`${tmpdir()}/dd-compl-`);
const complete = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
  run(KUBECTL, ['__complete', ...args], { env: { PATH: `${REPO}/bin:${process.env.PATH ?? ''}`, ...extraEnv } });
const names = (out: string) => out.split('\n').filter((l) => l && !l.startsWith(':') && !l.includes('/') && !l.startsWith('[Debug]')).map((l) => l.split('\t')[0]);

beforeAll(async () => {
  await ensureNamespace(ns);
  await createPod({ namespace: ns, name: app });
  // A pod that ignores SIGTERM stays Running (and Terminating) through its grace period once deleted.
  await createPod({
    namespace: ns,
    name: dying,
    spec: { terminationGracePeriodSeconds: 300 },
    containers: [{ name: 'app', image: 'docker.io/library/busybox:1.37.0', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', "trap '' TERM; while true; do sleep 1; done"] }],
  });
  await kubectl(['-n', ns, 'delete', 'pod', dying, '--wait=false']);
});
afterAll(async () => {
  await kubectl(['-n', ns, 'delete', 'pod', '--all', '--grace-period=0', '--force', '--wait=false']).catch(() => '');
  await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => '');
});

describe('pod completion through kubectl', () => {
  it("offers the running pods, not the one being deleted, read as a Table (kubectl's exec completion lists both)", async () => {
    const log = `${dir}/debug.log`;
    const ours = await complete(['distroless-debug', '-n', ns, ''], { BASH_COMP_DEBUG_FILE: log });
    expect(ours.code).toBe(0);
    expect(names(ours.stdout)).toEqual([app]);
    expect(ours.stdout).toContain('deploy/\t');
    // Cells only: the request asked for a Table without objects.
    expect(readFileSync(log, 'utf8')).toMatch(/GET \/api\/v1\/namespaces\/\S+\/pods\?fieldSelector=status\.phase%3DRunning&includeObject=None -> 200/);

    const peer = await complete(['exec', '-n', ns, '']);
    expect(names(peer.stdout).sort()).toEqual([app, dying].sort());
  });

  it('completes namespaces from a Table too, leaving out terminating ones', async () => {
    const out = await complete(['distroless-debug', '-n', '']);
    const offered = names(out.stdout);
    expect(offered).toContain(ns);
    expect(offered).toContain('default');
  });
});
