import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, kubectl, KUBECTL, run, uniq } from './helpers.js';

// Proof that the local cluster is real: kubectl's own debug adds an ephemeral
// container through the real kubelet and runtime, joins the app's PID
// namespace, and reads the app's files through /proc/1/root.
describe('the local cluster', () => {
  const ns = 'demo';
  const pod = uniq('kubectl-debug');
  beforeAll(async () => {
    await createPod({ namespace: ns, name: pod });
  });
  afterAll(() => deletePod(ns, pod));

  it('has a Ready node running containerd 2', async () => {
    const out = await kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].status.nodeInfo.containerRuntimeVersion} {.items[0].status.conditions[?(@.type=="Ready")].status}']);
    expect(out).toMatch(/^containerd:\/\/2\.\d+\.\d+ True$/);
  });

  it('lets kubectl debug read the app files through /proc/1/root', async () => {
    const r = await run(KUBECTL, ['--context', 'admin', '-n', ns, 'debug', '-i', '--quiet', '--image=busybox:1.37.0', '--target=app', '--profile=general', pod, '--', 'ls', '/proc/1/root/etc']);
    expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['app-secret', 'app-variant', 'passwd']));
  });
});
