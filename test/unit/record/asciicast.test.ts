import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { SessionRecorder } from '../../../src/record/asciicast.js';

const dir = mkdtempSync(join(tmpdir(), 'dd-cast-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lines(file: string): unknown[] {
  return readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
}

describe('SessionRecorder (asciicast v2)', () => {
  it('writes the header at once and each event as it happens, with times relative to the start', () => {
    let t = 1_700_000_000_500;
    const file = join(dir, 'a.cast');
    const r = new SessionRecorder(file, { width: 100, height: 30, title: 'x', env: { TERM: 'xterm' } }, false, () => t);
    expect(lines(file)).toEqual([{ version: 2, width: 100, height: 30, timestamp: 1_700_000_000, title: 'x', env: { TERM: 'xterm' } }]);
    t += 1250;
    r.output(Buffer.from('hello\r\n'));
    r.input(Buffer.from('secret\r')); // not recorded without --record-input
    t += 250;
    r.resize(120, 40);
    // Written before close: a killed process leaves this much.
    expect(lines(file).slice(1)).toEqual([
      [1.25, 'o', 'hello\r\n'],
      [1.5, 'r', '120x40'],
    ]);
    r.close();
  });

  it('records input only with --record-input, and never splits a UTF-8 character', () => {
    let t = 0;
    const file = join(dir, 'b.cast');
    const r = new SessionRecorder(file, { width: 80, height: 24, env: {} }, true, () => t);
    const euro = Buffer.from('€', 'utf8'); // 3 bytes
    r.output(euro.subarray(0, 2));
    t += 10;
    r.output(euro.subarray(2));
    r.input(Buffer.from('ls\r'));
    r.close();
    expect(lines(file).slice(1)).toEqual([
      [0.01, 'o', '€'],
      [0.01, 'i', 'ls\r'],
    ]);
  });

  it('a path that cannot be written is a ConfigError naming the flag', () => {
    expect(() => new SessionRecorder(join(dir, 'missing', 'x.cast'), { width: 80, height: 24, env: {} }, false)).toThrow(ConfigError);
    expect(() => new SessionRecorder(join(dir, 'missing', 'x.cast'), { width: 80, height: 24, env: {} }, false)).toThrow(/--record/);
  });
});
