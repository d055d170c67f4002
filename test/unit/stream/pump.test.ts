import { describe, expect, it } from 'vitest';
import { ConnectionLostError, StreamRefusedError } from '../../../src/errors.js';
import { closeOutcome } from '../../../src/stream/pump.js';

const base = {
  exitCode: undefined,
  statusFailure: undefined,
  localClose: false,
  pingTimedOut: false,
  pongTimeoutMs: 30_000,
  code: 1000,
  socketError: undefined,
} as const;

describe('closeOutcome: what a closed stream means', () => {
  it.each([
    ['exec with a status', { kind: 'exec', exitCode: 0 }, 'ok'],
    ['exec with a non-zero status', { kind: 'exec', exitCode: 7, code: 1006 }, 'ok'],
    ['exec closed by us (abort, output gone)', { kind: 'exec', localClose: true }, 'ok'],
    ['exec closed cleanly without a status', { kind: 'exec' }, 'lost'],
    ['exec dropped (1006)', { kind: 'exec', code: 1006 }, 'lost'],
    ['attach closed cleanly (the process ended)', { kind: 'attach' }, 'ok'],
    ['attach dropped (1006)', { kind: 'attach', code: 1006 }, 'lost'],
    ['attach with a socket error', { kind: 'attach', socketError: new Error('ECONNRESET') }, 'lost'],
    ['attach closed by us', { kind: 'attach', code: 1006, localClose: true }, 'ok'],
  ] as const)('%s → %s', (_what, over, expected) => {
    const out = closeOutcome({ ...base, ...over });
    if (expected === 'ok') expect(out).toEqual({ ok: true });
    else expect('err' in out && out.err).toBeInstanceOf(ConnectionLostError);
  });

  it('names the missing status when an exec closed cleanly', () => {
    const out = closeOutcome({ ...base, kind: 'exec' });
    expect('err' in out && out.err.message).toMatch(/closed without an exit status/);
  });

  it('a ping timeout wins over everything else and says how long', () => {
    const out = closeOutcome({ ...base, kind: 'exec', exitCode: 0, pingTimedOut: true, pongTimeoutMs: 30_000 });
    expect('err' in out && out.err.message).toMatch(/stopped answering pings for 30s/);
  });

  it('a failure status is reported as such', () => {
    const failure = new StreamRefusedError('x');
    expect(closeOutcome({ ...base, kind: 'exec', statusFailure: failure })).toEqual({ err: failure });
  });
});
