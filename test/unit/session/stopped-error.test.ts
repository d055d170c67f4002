import { describe, expect, it } from 'vitest';
import { DebuggerFailedError } from '../../../src/errors.js';
import { IdentityMismatch, stoppedError } from '../../../src/session/start.js';

const ended = (exitCode: number, message: string | undefined) => ({ kind: 'terminated' as const, pod: {}, exitCode, reason: 'Completed', message });

describe('stoppedError: a debugger that ended while this run waited for it', () => {
  it('stopped by a person (kubectl distroless-debug stop): says who and when, and what to do', () => {
    const err = stoppedError('distroless-debug-x', ended(0, 'stopped by dd-admin at 2026-11-28T16:17:39Z\n'));
    expect(err).toBeInstanceOf(DebuggerFailedError);
    expect(err.message).toBe(
      'debugger distroless-debug-x was stopped by dd-admin at 2026-11-28T16:17:39Z (kubectl distroless-debug stop) while this session was starting; run the command again for a new debugger',
    );
  });

  it('the keeper found another identity: a mismatch to correct', () => {
    expect(stoppedError('d', ended(1, 'identity-mismatch pid=7 uid=1001 gid=1001'))).toBeInstanceOf(IdentityMismatch);
  });

  it('anything else: its exit code and last message line', () => {
    expect(stoppedError('d', ended(2, 'first\nlast line\n')).message).toBe('debugger d exited with code 2: last line; run with -v for details');
  });
});
