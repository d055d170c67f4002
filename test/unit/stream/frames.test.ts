import { describe, expect, it } from 'vitest';
import {
  Channel,
  decodeFrame,
  encodeCloseStdin,
  encodeFrame,
  encodeResize,
  parseStatus,
} from '../../../src/stream/frames.js';

describe('channel constants', () => {
  it('match the Kubernetes channel protocol', () => {
    expect(Channel).toEqual({ stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 });
  });
});

describe('encodeFrame / decodeFrame', () => {
  const cases: Array<{ name: string; channel: number; data: Buffer | string; bytes: number[] }> = [
    { name: 'stdin string', channel: Channel.stdin, data: 'ls\n', bytes: [0, 0x6c, 0x73, 0x0a] },
    { name: 'stdout buffer', channel: Channel.stdout, data: Buffer.from([1, 2, 3]), bytes: [1, 1, 2, 3] },
    { name: 'stderr empty', channel: Channel.stderr, data: '', bytes: [2] },
    { name: 'utf-8 text', channel: Channel.stdout, data: 'é', bytes: [1, 0xc3, 0xa9] },
    { name: 'ctrl-c', channel: Channel.stdin, data: Buffer.from([0x03]), bytes: [0, 3] },
    { name: 'close channel', channel: Channel.close, data: Buffer.from([0]), bytes: [255, 0] },
  ];
  it.each(cases)('$name', ({ channel, data, bytes }) => {
    const frame = encodeFrame(channel, data);
    expect([...frame]).toEqual(bytes);
    const decoded = decodeFrame(frame);
    expect(decoded.channel).toBe(channel);
    expect(decoded.data.equals(typeof data === 'string' ? Buffer.from(data) : data)).toBe(true);
  });

  it('round-trips binary payloads of every byte value', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const { channel, data } = decodeFrame(encodeFrame(Channel.stdout, all));
    expect(channel).toBe(1);
    expect(data.equals(all)).toBe(true);
  });

  it.each([-1, 256, 1.5])('rejects channel %s', (ch) => {
    expect(() => encodeFrame(ch, 'x')).toThrow(RangeError);
  });

  it('rejects an empty frame', () => {
    expect(() => decodeFrame(Buffer.alloc(0))).toThrow(RangeError);
  });
});

describe('encodeResize', () => {
  it.each([
    { cols: 80, rows: 24 },
    { cols: 250, rows: 61 },
  ])('$cols x $rows', ({ cols, rows }) => {
    const frame = encodeResize({ cols, rows });
    expect(frame[0]).toBe(4);
    expect(JSON.parse(frame.subarray(1).toString())).toEqual({ Width: cols, Height: rows });
    expect(frame.subarray(1).toString()).toBe(`{"Width":${cols},"Height":${rows}}`);
  });
});

describe('encodeCloseStdin', () => {
  it('is [255, 0]', () => {
    expect([...encodeCloseStdin()]).toEqual([255, 0]);
  });
});

describe('parseStatus', () => {
  const exit = (code: string): string =>
    JSON.stringify({
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: exit code ${code}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: code }] },
    });
  const cases: Array<{ name: string; json: string; exitCode: number; message?: RegExp }> = [
    { name: 'success', json: '{"metadata":{},"status":"Success"}', exitCode: 0 },
    { name: 'exit code 7', json: exit('7'), exitCode: 7 },
    { name: 'exit code 130', json: exit('130'), exitCode: 130 },
    { name: 'exit code 1', json: exit('1'), exitCode: 1 },
    {
      name: 'exit cause after another cause',
      json: JSON.stringify({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'Other', message: 'x' }, { reason: 'ExitCode', message: '42' }] },
      }),
      exitCode: 42,
    },
    {
      name: 'NonZeroExitCode without causes',
      json: JSON.stringify({ status: 'Failure', reason: 'NonZeroExitCode', message: 'exit code unknown' }),
      exitCode: -1,
      message: /exit code unknown/,
    },
    {
      name: 'NonZeroExitCode with a non-numeric code',
      json: exit('seven'),
      exitCode: -1,
      message: /non-zero exit code/,
    },
    { name: 'empty exit code', json: exit(''), exitCode: -1, message: /non-zero/ },
    {
      name: 'internal error',
      json: JSON.stringify({
        status: 'Failure',
        reason: 'InternalError',
        message: 'OCI runtime exec failed: exec: "bash": executable file not found in $PATH',
      }),
      exitCode: -1,
      message: /executable file not found/,
    },
    {
      name: 'failure without a message',
      json: JSON.stringify({ status: 'Failure', reason: 'BadRequest' }),
      exitCode: -1,
      message: /Failure \(BadRequest\)/,
    },
    { name: 'not JSON', json: 'container not found ("app")', exitCode: -1, message: /malformed status.*container not found/ },
    { name: 'JSON array', json: '[]', exitCode: -1, message: /malformed/ },
    { name: 'JSON null', json: 'null', exitCode: -1, message: /malformed/ },
  ];
  it.each(cases)('$name', ({ json, exitCode, message }) => {
    const s = parseStatus(json);
    expect(s.exitCode).toBe(exitCode);
    if (message) expect(s.message).toMatch(message);
    else expect(s.message).toBeUndefined();
  });
});
