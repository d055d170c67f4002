import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, plugin, uniq } from './helpers.js';

// Found while proving the SPDY fallback on a v1.29 cluster: a user for whom
// exec is denied, on a pod where another user's run left a remembered
// debugger, first tries that debugger's exec (refused), then attaches. The
// refused exec had read the piped input, so the attached shell got neither it
// nor its end and the run hung. The input is now replayed to the attach.
const ns = 'demo';
const pod = uniq('att-warm');

beforeAll(async () => {
  await createPod({ namespace: ns, name: pod });
});
afterAll(async () => {
  await deletePod(ns, pod);
});

describe('attach with piped input after a refused warm exec', () => {
  it('runs the piped script and returns its exit code', async () => {
    const first = await plugin(['-n', ns, pod, '-q', '--', 'true']);
    expect(first.code).toBe(0);
    const r = await plugin(['--context', 'attacher', '-n', ns, pod, '-q'], { input: 'echo "attached $((40+2))"\nexit 4\n', timeoutMs: 90_000 });
    expect(r.stdout).toContain('attached 42');
    expect(r.code).toBe(4);
  });
});
