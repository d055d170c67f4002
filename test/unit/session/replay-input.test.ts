import { PassThrough, type Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ReplayableInput } from '../../../src/session/replay-input.js';

const collect = (r: Readable) =>
  new Promise<string>((resolve) => {
    let s = '';
    r.on('data', (d: Buffer) => (s += d.toString()));
    r.on('end', () => resolve(s));
  });

describe('ReplayableInput', () => {
  it('a second attempt sees everything the first one read, and the end', async () => {
    const src = new PassThrough();
    const input = new ReplayableInput(src);
    const first = input.attempt();
    first.resume(); // a refused attempt reads and drops
    src.write('one\n');
    src.end('two\n');
    await new Promise((r) => setImmediate(r));
    expect(await collect(input.attempt())).toBe('one\ntwo\n');
  });

  it('an attempt started before the input ends follows it live', async () => {
    const src = new PassThrough();
    const input = new ReplayableInput(src);
    input.attempt().resume();
    src.write('a');
    await new Promise((r) => setImmediate(r));
    const second = input.attempt();
    const got = collect(second);
    src.end('b');
    expect(await got).toBe('ab');
  });

  it('after settle nothing is kept: a later attempt starts from where the source is', async () => {
    const src = new PassThrough();
    const input = new ReplayableInput(src);
    input.attempt().resume();
    src.write('old');
    await new Promise((r) => setImmediate(r));
    input.settle();
    const next = input.attempt();
    const got = collect(next);
    src.end('new');
    expect(await got).toBe('new');
  });

  it('pauses the source at the limit until settled', async () => {
    const src = new PassThrough();
    const input = new ReplayableInput(src, 4);
    input.attempt().resume();
    src.write('12345');
    await new Promise((r) => setImmediate(r));
    expect(src.isPaused()).toBe(true);
    input.settle();
    expect(src.isPaused()).toBe(false);
  });
});
