import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { encodeHeader, END_OF_ARCHIVE, padding, type EntryHeader } from '../../../src/copy/tar-header.js';

const mtime = new Date('2021-02-03T04:05:06Z');
const entry = (h: Partial<EntryHeader> & Pick<EntryHeader, 'name' | 'type'>, body = Buffer.alloc(0)): Buffer[] => [
  encodeHeader({ mode: 0o644, uid: 1000, gid: 1000, size: body.length, mtime, ...h }),
  body,
  Buffer.alloc(padding(body.length)),
];

async function readBack(bytes: Buffer): Promise<{ name: string; type: string; linkname: string | null | undefined; size: number | undefined; mode: number | undefined; mtime: Date | undefined; body: string }[]> {
  const extract = tar.extract();
  const out: { name: string; type: string; linkname: string | null | undefined; size: number | undefined; mode: number | undefined; mtime: Date | undefined; body: string }[] = [];
  extract.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      out.push({ name: h.name, type: h.type ?? '', linkname: h.linkname, size: h.size, mode: h.mode, mtime: h.mtime, body: Buffer.concat(chunks).toString('utf8') });
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    Readable.from([bytes]).pipe(extract);
  });
  return out;
}

const longDir = `./${'d'.repeat(60)}/${'e'.repeat(60)}`;
const longOne = `./${'x'.repeat(150)}`;
const cases: Buffer[] = [
  ...entry({ name: './top', type: 'directory', mode: 0o755 }),
  ...entry({ name: './top/a.txt', type: 'file', mode: 0o640 }, Buffer.from('hello\n')),
  ...entry({ name: `./top/${longDir}/f`, type: 'file' }, Buffer.from('split by prefix')),
  ...entry({ name: `./top/${longOne}`, type: 'file' }, Buffer.from('pax path')),
  ...entry({ name: './top/é ü', type: 'file' }, Buffer.from('utf-8')),
  ...entry({ name: './top/link', type: 'symlink', linkname: `a/${'l'.repeat(120)}` }),
  ...entry({ name: './top/short', type: 'symlink', linkname: 'a.txt' }),
  END_OF_ARCHIVE,
];
const archive = Buffer.concat(cases);

describe('tar headers', () => {
  it('tar-stream reads back names, types, modes, times, link targets and bodies', async () => {
    const got = await readBack(archive);
    expect(got.map((e) => [e.name, e.type, e.body])).toEqual([
      ['./top/', 'directory', ''],
      ['./top/a.txt', 'file', 'hello\n'],
      [`./top/${longDir}/f`, 'file', 'split by prefix'],
      [`./top/${longOne}`, 'file', 'pax path'],
      ['./top/é ü', 'file', 'utf-8'],
      ['./top/link', 'symlink', ''],
      ['./top/short', 'symlink', ''],
    ]);
    expect(got[1]).toMatchObject({ mode: 0o640, size: 6, mtime });
    expect(got[5]?.linkname).toBe(`a/${'l'.repeat(120)}`);
    expect(got[6]?.linkname).toBe('a.txt');
  });
  it('BusyBox tar (the pod side) lists the same', () => {
    const r = spawnSync('/bin/busybox', ['tar', '-tv', '-f', '-'], { input: archive });
    expect(r.status).toBe(0);
    const listing = r.stdout.toString('utf8');
    expect(listing).toMatch(/-rw-r----- .* 6 2021-02-03 04:05:06 \.\/top\/a\.txt/);
    expect(listing).toContain(`./top/${longDir}/f`);
    expect(listing).toContain(`./top/${longOne}`);
    expect(listing).toContain('./top/é ü');
    expect(listing).toContain(`./top/link -> a/${'l'.repeat(120)}`);
  });
  it('a size past 11 octal digits is written in base-256', () => {
    const h = encodeHeader({ name: './big', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 2 ** 34, mtime });
    expect(h.length).toBe(512);
    expect(h[124]).toBe(0x80);
    expect(h.readUIntBE(130, 6)).toBe(2 ** 34);
  });
});
