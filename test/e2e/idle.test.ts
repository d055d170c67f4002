import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, getPod, plugin, uniq } from './helpers.js';

// No shell lingers in production after the incident: a debugger with no
// session exits by itself after --idle-timeout.
const ns = 'demo';
const pod = uniq('idle');

beforeAll(() => createPod({ namespace: ns, name: pod }));
afterAll(() => deletePod(ns, pod));

describe('idle timeout', () => {
  it('the debugger exits by itself once no session has run for --idle-timeout, and the next run adds a fresh one', async () => {
    const r = await plugin(['-n', ns, pod, '--idle-timeout', '5s', '--', 'true']);
    expect(r.code).toBe(0);
    const name = (await getPod(ns, pod)).spec.ephemeralContainers?.[0]?.name ?? '';
    let state: { exitCode?: number; message?: string } | undefined;
    for (let i = 0; i < 60 && !state; i++) {
      await new Promise((res) => setTimeout(res, 500));
      state = (await getPod(ns, pod)).status.ephemeralContainerStatuses?.find((s) => s.name === name)?.state.terminated;
    }
    expect(state?.exitCode).toBe(0);
    expect(state?.message).toBe('idle-timeout 5\n');
    const again = await plugin(['-n', ns, pod, '--', 'true']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('added debugger');
  });

  it('a running session keeps the debugger alive past the idle timeout', async () => {
    const r = await plugin(['-n', ns, pod, '--new', '--idle-timeout', '3s', '-q', '--', 'sh', '-c', 'sleep 8; cat etc/app-variant']);
    expect(r).toEqual({ code: 0, stdout: 'nonroot\n', stderr: '' });
  });
});
