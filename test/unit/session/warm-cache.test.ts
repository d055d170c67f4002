import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Options } from '../../../src/options.js';
import { readWarm, warmFile, warmKey, writeWarm } from '../../../src/session/warm-cache.js';
import { testOptions } from '../fixtures/options.js';

const options = (over: Partial<Options> = {}): Options => testOptions({ command: ['ls'], image: 'busybox', timeoutMs: 1000, ...over });

describe('warm cache', () => {
  it('keys on what picks the debugger, not on the command', () => {
    const k = warmKey('https://a', 'ns', options());
    expect(warmKey('https://a', 'ns', options({ command: ['cat', 'x'], quiet: true }))).toBe(k);
    for (const o of [options({ profile: 'general' }), options({ idleTimeoutSeconds: 20 }), options({ env: { A: '1' } }), options({ uid: 1 }), options({ image: 'x' })]) {
      expect(warmKey('https://a', 'ns', o)).not.toBe(k);
    }
    expect(warmKey('https://b', 'ns', options())).not.toBe(k);
    expect(warmKey('https://a', 'other', options())).not.toBe(k);
  });

  it('lives under XDG_CACHE_HOME or ~/.cache', () => {
    expect(warmFile({ XDG_CACHE_HOME: '/x' })).toBe('/x/kubectl-distroless-debug/debuggers.json');
    expect(warmFile({ HOME: '/home/u' })).toBe('/home/u/.cache/kubectl-distroless-debug/debuggers.json');
  });

  it('round-trips an entry in a private file, and survives garbage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-warm-'));
    const file = join(dir, 'c', 'debuggers.json');
    expect(await readWarm(file, 'k')).toBeUndefined();
    await writeWarm(file, 'k', { debugger: 'distroless-debug-x', target: 'app', identity: { uid: 1, gid: 2, source: 'status' }, profile: 'restricted' });
    expect(await readWarm(file, 'k')).toEqual({ debugger: 'distroless-debug-x', target: 'app', identity: { uid: 1, gid: 2, source: 'status' }, profile: 'restricted' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, '{not json');
    expect(await readWarm(file, 'k')).toBeUndefined();
    await writeWarm(file, 'k2', { debugger: 'd', target: 't' });
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object)).toEqual(['k2']);
  });
});
