import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, plugin, uniq } from './helpers.js';

// Valid durations mean what the README says (defect 13); the invalid ones are
// in the bad-input table.
const ns = 'demo';
const pod = uniq('dur');

beforeAll(async () => {
  await createPod({ namespace: ns, name: pod });
});
afterAll(async () => {
  await deletePod(ns, pod);
});

interface EphemeralJSON {
  env: Array<{ name: string; value: string }>;
}

describe('durations', () => {
  it('--timeout 0 means no limit: the session runs (it used to be internal error 79)', async () => {
    const r = await plugin(['-q', '-n', ns, pod, '--timeout', '0', '--request-timeout', '0', '--', 'cat', 'etc/app-variant']);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: 'nonroot\n' });
  });

  it.each([
    ['400ms', '1'], // never rounded down to 0 ("never")
    ['0', '0'],
    ['90', '90'],
    ['1m30s', '90'],
    ['1.5h', '5400'],
  ])('--idle-timeout %s reaches the debugger as DD_IDLE_TIMEOUT=%s', async (value, seconds) => {
    const r = await plugin(['-q', '-n', ns, pod, '--new', '--dry-run', '-o', 'json', '--idle-timeout', value]);
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout) as EphemeralJSON;
    expect(c.env.find((e) => e.name === 'DD_IDLE_TIMEOUT')?.value).toBe(seconds);
  });

  it('--request-timeout 1000h (kubectl takes it) works', async () => {
    const r = await plugin(['-q', '-n', ns, pod, '--dry-run', '--request-timeout', '1000h']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
