import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archive as tarStream } from './archive.js';
import { encodeHeader, END_OF_ARCHIVE, padding } from '../../../src/copy/tar-header.js';
import { parsePax, TarFormatError, TarReader, type ReadHeader } from '../../../src/copy/tar-reader.js';

interface Seen {
  h: ReadHeader;
  body: string;
}

/** Reads `bytes` in pieces of `step` bytes (0: all at once); each entry's header and body. */
function read(bytes: Buffer, step = 0): Seen[] {
  const seen: Seen[] = [];
  const r = new TarReader((h) => {
    const s: Seen = { h, body: '' };
    seen.push(s);
    return { data: (p) => (s.body += p.toString('latin1')), end: () => undefined };
  });
  if (step === 0) r.write(bytes);
  else for (let off = 0; off < bytes.length; off += step) r.write(bytes.subarray(off, off + step));
  r.end();
  return seen;
}

let base: string;
beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'dd-tar-reader-')));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(120)}`;

describe('TarReader', () => {
  it('headers and bodies, whatever the chunking (1 byte, 7, 512, all at once)', async () => {
    const t = new Date('2021-02-03T04:05:06Z');
    const bytes = await tarStream([
      { name: './d/', type: 'directory', mode: 0o750, mtime: t },
      { name: './d/a', body: 'hello', mode: 0o600, mtime: t },
      { name: './d/empty', body: '' },
      { name: './d/big', body: 'x'.repeat(70_000) },
      { name: './d/l', type: 'symlink', linkname: 'a' },
      { name: `./d/${long}`, body: 'long name' },
      { name: './d/ünï', type: 'symlink', linkname: `${'z'.repeat(150)}` },
    ]);
    const expected = read(bytes);
    expect(expected.map((s) => [s.h.name, s.h.type, s.h.size, s.body.length])).toEqual([
      ['./d/', 'directory', 0, 0],
      ['./d/a', 'file', 5, 5],
      ['./d/empty', 'file', 0, 0],
      ['./d/big', 'file', 70_000, 70_000],
      ['./d/l', 'symlink', 0, 0],
      [`./d/${long}`, 'file', 9, 9],
      ['./d/ünï', 'symlink', 0, 0],
    ]);
    expect(expected[1]?.h.mode).toBe(0o600);
    expect(expected[1]?.h.mtime).toEqual(t);
    expect(expected[1]?.body).toBe('hello');
    expect(expected[6]?.h.linkname).toBe('z'.repeat(150));
    for (const step of [1, 7, 512]) expect(read(bytes, step)).toEqual(expected);
  });

  it('what tar-header.ts writes (ustar prefix, pax for long or non-ASCII names) reads back', () => {
    const mtime = new Date('2020-01-01T00:00:00Z');
    const parts: Buffer[] = [];
    for (const name of ['./a', `./${'p'.repeat(120)}/${'n'.repeat(90)}`, `./${long}`, './ü']) {
      parts.push(encodeHeader({ name, type: 'file', mode: 0o640, uid: 1, gid: 2, size: 3, mtime }), Buffer.from('abc'), Buffer.alloc(padding(3)));
    }
    parts.push(END_OF_ARCHIVE);
    const seen = read(Buffer.concat(parts), 100);
    expect(seen.map((s) => [s.h.name, s.body, s.h.mode])).toEqual([
      ['./a', 'abc', 0o640],
      [`./${'p'.repeat(120)}/${'n'.repeat(90)}`, 'abc', 0o640],
      [`./${long}`, 'abc', 0o640],
      ['./ü', 'abc', 0o640],
    ]);
  });

  it("GNU tar's and BusyBox tar's long names and long link targets", () => {
    const src = join(base, 'src');
    mkdirSync(join(src, 'd', 'e'.repeat(60)), { recursive: true });
    writeFileSync(join(src, 'd', 'e'.repeat(60), 'f'.repeat(120)), 'content');
    symlinkSync('t'.repeat(130), join(src, 'd', 'link'));
    for (const [cmd, args] of [
      ['tar', ['--format=gnu', '-C', src, '-cf', '-', './d']],
      ['/bin/busybox', ['tar', '-C', src, '-cf', '-', './d']],
    ] as const) {
      const r = spawnSync(cmd, args, { maxBuffer: 1 << 24 });
      if (r.error) continue; // that tar is not on this machine
      const seen = read(r.stdout, 333);
      const byName = new Map(seen.map((s) => [s.h.name.replace(/\/$/, ''), s]));
      expect(byName.get(`./d/${'e'.repeat(60)}/${'f'.repeat(120)}`)?.body).toBe('content');
      expect(byName.get('./d/link')?.h.linkname).toBe('t'.repeat(130));
      expect(byName.get('./d/link')?.h.type).toBe('symlink');
    }
  });

  it('stops at the end-of-archive block (what follows is ignored)', async () => {
    const bytes = Buffer.concat([await tarStream([{ name: './a', body: 'a' }]), Buffer.from('trailing garbage')]);
    expect(read(bytes).map((s) => s.h.name)).toEqual(['./a']);
  });

  it('a damaged archive: cut in a body or a header, or a bad checksum', async () => {
    const bytes = await tarStream([{ name: './a', body: 'x'.repeat(2000) }]);
    expect(() => read(bytes.subarray(0, 1000))).toThrow(new TarFormatError('Unexpected end of data'));
    expect(() => read(bytes.subarray(0, 100))).toThrow(TarFormatError);
    const bad = Buffer.from(bytes);
    bad[10] = 0x41;
    expect(() => read(bad)).toThrow(/Invalid tar header/);
  });

  it('a checksum summed over signed bytes (old tars) is accepted, a wrong one is not', () => {
    const h = Buffer.from(encodeHeader({ name: './caf\u00e9', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: new Date(0) }));
    let signed = 0;
    for (let i = 0; i < 512; i++) {
      const c = i >= 148 && i < 156 ? 0x20 : (h[i] as number);
      signed += c > 127 ? c - 256 : c;
    }
    h.write(`${signed.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const names: string[] = [];
    new TarReader((x) => {
      names.push(x.name);
      return undefined;
    }).write(h);
    expect(names).toEqual(['./caf\u00e9']);
    h.write(`${(signed + 1).toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    expect(() => new TarReader(() => undefined).write(h)).toThrow(/Invalid tar header/);
  });

  it('a size beyond 11 octal digits (GNU base-256)', () => {
    const h = encodeHeader({ name: './huge', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 2 ** 34, mtime: new Date(0) });
    let size = -1;
    new TarReader((x) => {
      size = x.size;
      return undefined;
    }).write(h);
    expect(size).toBe(2 ** 34);
  });

  it('pax records', () => {
    expect(parsePax(Buffer.from('16 path=./a/b/c\n19 linkpath=../x/y\n'))).toEqual({ path: './a/b/c', linkpath: '../x/y' });
  });
});
