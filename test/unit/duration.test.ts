import { describe, expect, it } from 'vitest';
import { formatDuration, MAX_TIMER_MS, parseDurationFlag, parseGoDuration } from '../../src/duration.js';
import { UsageError } from '../../src/errors.js';

// Go's time.ParseDuration, as kubectl 1.34 applies it (checked against the real
// kubectl in test/e2e/bad-input.test.ts).
describe('parseGoDuration', () => {
  it.each<[string, number]>([
    ['0', 0],
    ['-0', 0],
    ['+0', 0],
    ['0s', 0],
    ['1ns', 1e-6],
    ['100us', 0.1],
    ['100µs', 0.1],
    ['100μs', 0.1],
    ['500ms', 500],
    ['1.5s', 1500],
    ['.5s', 500],
    ['1.s', 1000],
    ['2m', 120_000],
    ['1h30m', 5_400_000],
    ['1h0m0.5s', 3_600_500],
    ['2m3s4ms', 123_004],
    ['1.5h', 5_400_000],
    ['-1s', -1000],
    ['+5s', 5000],
  ])('%s => %d ms', (s, ms) => {
    expect(parseGoDuration(s)).toBeCloseTo(ms, 9);
  });

  it.each(['', '-', '5', '1.5', 's', '.s', '5x', '10d', '1h 30m', ' 1s', '1s ', '10s5', 'abc', '1e3s', '1,5s', '1S', '--1s', '3000000h'])('refuses %j', (s) => {
    expect(parseGoDuration(s)).toBeUndefined();
  });
});

function usage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('parseDurationFlag (kubectl ParseTimeout rules)', () => {
  const flag = { flag: '--timeout', zero: 'no limit' };
  it.each<[string, number]>([
    ['0', 0],
    ['90', 90_000],
    ['007', 7000],
    ['30s', 30_000],
    ['50ms', 50],
    ['100us', 0.1],
    [`${MAX_TIMER_MS}ms`, MAX_TIMER_MS],
  ])('%s => %d ms', (s, ms) => {
    expect(parseDurationFlag(s, flag)).toBeCloseTo(ms, 9);
  });

  it('a bare fraction is not seconds (kubectl refuses it too)', () => {
    expect(usage(() => parseDurationFlag('1.5', flag))).toBe(
      '--timeout "1.5" is not a duration; use a number with a unit (ns, us, ms, s, m, h) like 30s, 2m or 1h30m, or 0 for no limit',
    );
  });
  it.each(['-1', '-1s', '-0.5ms'])('negative %s: its own message', (s) => {
    expect(usage(() => parseDurationFlag(s, flag))).toBe(`--timeout "${s}" is negative; use a positive duration like 30s, or 0 for no limit`);
  });
  it('beyond a Node timer: refused, with the limit', () => {
    expect(usage(() => parseDurationFlag(`${MAX_TIMER_MS + 1}ms`, flag))).toBe(
      `--timeout "${MAX_TIMER_MS + 1}ms" is too long; the most is 596h31m23.647s (or 0 for no limit)`,
    );
    expect(usage(() => parseDurationFlag('1000h', flag))).toMatch(/too long/);
  });
  it('a custom bound', () => {
    expect(parseDurationFlag('1000h', { ...flag, maxMs: Number.POSITIVE_INFINITY })).toBe(3_600_000_000);
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [0.1, '100µs'],
    [1, '1ms'],
    [50, '50ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [30_000, '30s'],
    [90_000, '1m30s'],
    [120_000, '2m'],
    [3_600_000, '1h'],
    [5_400_500, '1h30m0.5s'],
    [MAX_TIMER_MS, '596h31m23.647s'],
  ])('%d ms => %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
  it('never prints a non-zero duration as 0s', () => {
    for (const ms of [0.001, 0.4, 1, 49, 50, 499]) expect(formatDuration(ms)).not.toBe('0s');
  });
});
