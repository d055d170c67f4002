import { describe, expect, it } from 'vitest';
import { formatBytes, formatProgress, formatSeconds } from '../../../src/copy/progress.js';

describe('progress', () => {
  it('bytes and seconds', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200 MiB');
    expect(formatSeconds(3.2)).toBe('4s');
    expect(formatSeconds(125)).toBe('2m05s');
    expect(formatSeconds(Number.NaN)).toBe('?');
  });

  it('with a known size: bar, percentage, rate and ETA', () => {
    const line = formatProgress({ done: 100 << 20, total: 200 << 20, elapsedMs: 2000, width: 100 });
    expect(line).toMatch(/^\[=+>? +\]  50% 100 MiB \/ 200 MiB  50 MiB\/s  ETA 2s$/);
  });

  it('without a size: bytes and rate only', () => {
    expect(formatProgress({ done: 3 << 20, total: undefined, elapsedMs: 1000, width: 80 })).toBe('3.0 MiB  3.0 MiB/s');
  });

  it('a narrow terminal drops the bar', () => {
    expect(formatProgress({ done: 1, total: 2, elapsedMs: 1000, width: 20 })).not.toContain('[');
  });
});
