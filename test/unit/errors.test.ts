import { describe, expect, it } from 'vitest';
import {
  AmbiguousError,
  ApiError,
  ConfigError,
  ConnectionLostError,
  DebugError,
  DebuggerFailedError,
  ExitCode,
  exitCodeOf,
  ForbiddenError,
  ImagePullError,
  InterruptedError,
  NotFoundError,
  NotRunningError,
  PodSecurityError,
  StreamRefusedError,
  TargetUnreachableError,
  TimeoutError,
  UnsupportedError,
  UsageError,
} from '../../src/errors.js';

type Ctor = new (message: string, options?: { cause?: unknown; details?: string[] }) => DebugError;

const table: Array<{ cls: Ctor; name: string; code: keyof typeof ExitCode; exit: number }> = [
  { cls: UsageError, name: 'UsageError', code: 'usage', exit: 64 },
  { cls: ConfigError, name: 'ConfigError', code: 'config', exit: 65 },
  { cls: NotFoundError, name: 'NotFoundError', code: 'notFound', exit: 66 },
  { cls: AmbiguousError, name: 'AmbiguousError', code: 'ambiguous', exit: 67 },
  { cls: NotRunningError, name: 'NotRunningError', code: 'notRunning', exit: 68 },
  { cls: UnsupportedError, name: 'UnsupportedError', code: 'unsupported', exit: 69 },
  { cls: ForbiddenError, name: 'ForbiddenError', code: 'forbidden', exit: 70 },
  { cls: PodSecurityError, name: 'PodSecurityError', code: 'podSecurity', exit: 71 },
  { cls: ImagePullError, name: 'ImagePullError', code: 'imagePull', exit: 72 },
  { cls: TimeoutError, name: 'TimeoutError', code: 'timeout', exit: 73 },
  { cls: StreamRefusedError, name: 'StreamRefusedError', code: 'streamRefused', exit: 74 },
  { cls: ConnectionLostError, name: 'ConnectionLostError', code: 'connectionLost', exit: 75 },
  { cls: TargetUnreachableError, name: 'TargetUnreachableError', code: 'targetUnreachable', exit: 76 },
  { cls: DebuggerFailedError, name: 'DebuggerFailedError', code: 'debuggerFailed', exit: 77 },
  { cls: ApiError, name: 'ApiError', code: 'api', exit: 78 },
  { cls: InterruptedError, name: 'InterruptedError', code: 'interrupted', exit: 130 },
];

describe('exitCodeOf', () => {
  it.each(table)('$name => $exit', ({ cls, name, code, exit }) => {
    const err = new cls('something happened');
    expect(exitCodeOf(err)).toBe(exit);
    expect(err.code).toBe(code);
    expect(err.name).toBe(name);
    expect(err.message).toBe('something happened');
    expect(err).toBeInstanceOf(DebugError);
    expect(err).toBeInstanceOf(Error);
    expect(err.details).toEqual([]);
  });

  it.each([
    { name: 'plain Error', err: new Error('boom') },
    { name: 'TypeError', err: new TypeError('x is undefined') },
    { name: 'string', err: 'boom' },
    { name: 'undefined', err: undefined },
    { name: 'null', err: null },
    { name: 'number', err: 64 },
    { name: 'error-like object with a code', err: { code: 'usage', message: 'x' } },
  ])('unknown value ($name) => 79', ({ err }) => {
    expect(exitCodeOf(err)).toBe(79);
  });

  it('every class has its own code, all distinct and none 0 or internal', () => {
    const exits = table.map((t) => t.exit);
    expect(new Set(exits).size).toBe(exits.length);
    expect(exits).not.toContain(ExitCode.ok);
    expect(exits).not.toContain(ExitCode.internal);
  });

  it('the ExitCode table itself has distinct values, plugin failures in 64..80', () => {
    const values = Object.values(ExitCode);
    expect(new Set(values).size).toBe(values.length);
    expect(ExitCode).toEqual({
      ok: 0,
      usage: 64,
      config: 65,
      notFound: 66,
      ambiguous: 67,
      notRunning: 68,
      unsupported: 69,
      forbidden: 70,
      podSecurity: 71,
      imagePull: 72,
      timeout: 73,
      streamRefused: 74,
      connectionLost: 75,
      targetUnreachable: 76,
      debuggerFailed: 77,
      api: 78,
      internal: 79,
      copyFailed: 80,
      interrupted: 130,
    });
    for (const [name, v] of Object.entries(ExitCode)) {
      if (name === 'ok' || name === 'interrupted') continue;
      expect(v).toBeGreaterThanOrEqual(64);
      expect(v).toBeLessThanOrEqual(80);
    }
  });
});

describe('DebugError options', () => {
  it('keeps cause and details', () => {
    const cause = new Error('root cause');
    const err = new ApiError('refused', { cause, details: ['line 1', 'line 2'] });
    expect(err.cause).toBe(cause);
    expect(err.details).toEqual(['line 1', 'line 2']);
  });

  it('has no own cause property when none is given', () => {
    const err = new UsageError('bad');
    expect('cause' in err).toBe(false);
  });
});
