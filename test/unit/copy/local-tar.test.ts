import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archive } from './archive.js';
import { coalesce, localPacker, localUnpacker } from '../../../src/copy/local-tar.js';
import { PathKindError } from '../../../src/errors.js';

let base: string;
beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'dd-cp-local-')));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
const fresh = () => {
  const d = join(base, `case-${++n}`);
  mkdirSync(d);
  return d;
};

async function unpack(bytes: Promise<Buffer>, dest: string, top: string) {
  const warnings: string[] = [];
  const u = localUnpacker({ dest, top, warn: (l) => warnings.push(l) });
  await pipeline(Readable.from([await bytes]), u.input);
  const result = await u.done;
  return { result, warnings };
}

describe('unpacking what the pod sends', () => {
  it('files, directories and links, with modes and times', async () => {
    const dest = fresh();
    const t = new Date('2021-02-03T04:05:06Z');
    const { result, warnings } = await unpack(
      archive([
        { name: './d/', type: 'directory', mode: 0o750, mtime: t },
        { name: './d/a', body: 'a', mode: 0o600, mtime: t },
        { name: './d/l', type: 'symlink', linkname: 'a' },
        { name: './d/h', type: 'link', linkname: './d/a' },
      ]),
      dest,
      'd',
    );
    expect(warnings).toEqual([]);
    expect(result.entries).toBe(4);
    expect(readFileSync(join(dest, 'd', 'a'), 'utf8')).toBe('a');
    expect(lstatSync(join(dest, 'd', 'a')).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(dest, 'd', 'a')).mtime.getTime()).toBe(t.getTime());
    expect(lstatSync(join(dest, 'd')).mode & 0o777).toBe(0o750);
    expect(lstatSync(join(dest, 'd')).mtime.getTime()).toBe(t.getTime());
    expect(readlinkSync(join(dest, 'd', 'l'))).toBe('a');
    expect(lstatSync(join(dest, 'd', 'h')).nlink).toBe(2);
  });

  it('file modes: new files, files the umask would narrow, and files that were already there', async () => {
    const dest = fresh();
    mkdirSync(join(dest, 'd'));
    writeFileSync(join(dest, 'd', 'old'), 'before');
    chmodSync(join(dest, 'd', 'old'), 0o600);
    const { warnings } = await unpack(
      archive([
        { name: './d/', type: 'directory', mode: 0o755 },
        { name: './d/new', body: 'n', mode: 0o640 },
        { name: './d/wide', body: 'w', mode: 0o666 },
        { name: './d/old', body: 'after', mode: 0o644 },
      ]),
      dest,
      'd',
    );
    expect(warnings).toEqual([]);
    const mode = (name: string) => lstatSync(join(dest, 'd', name)).mode & 0o777;
    expect([mode('new'), mode('wide'), mode('old')]).toEqual([0o640, 0o666, 0o644]);
    expect(readFileSync(join(dest, 'd', 'old'), 'utf8')).toBe('after');
  });

  it('a destination spelled with "./", "//" or a trailing slash: the same places, links on the way still refused', async () => {
    const dest = fresh();
    mkdirSync(join(dest, 'into'));
    const tree = () => archive([{ name: './d/', type: 'directory' }, { name: './d/sub/', type: 'directory' }, { name: './d/sub/f', body: 'f' }, { name: './d/h', type: 'link', linkname: './d/sub/f' }]);
    const a = await unpack(tree(), `${dest}//into/./`, 'd');
    expect(a.warnings).toEqual([]);
    expect(readFileSync(join(dest, 'into', 'd', 'sub', 'f'), 'utf8')).toBe('f');
    expect(lstatSync(join(dest, 'into', 'd', 'h')).nlink).toBe(2);
    const b = await unpack(tree(), `${dest}/new/`, 'd');
    expect(b.warnings).toEqual([]);
    expect(readFileSync(join(dest, 'new', 'sub', 'f'), 'utf8')).toBe('f');
    // A link where a directory of the archive goes: nothing is written through it.
    const c = await unpack(archive([{ name: './d/', type: 'directory' }, { name: './d/sub/f2', body: 'x' }]), `${dest}/./into/`, 'd');
    rmSync(join(dest, 'into', 'd', 'sub'), { recursive: true });
    symlinkSync(dest, join(dest, 'into', 'd', 'sub'));
    const e = await unpack(archive([{ name: './d/', type: 'directory' }, { name: './d/sub/f3', body: 'x' }]), `${dest}/./into/`, 'd');
    expect(c.warnings).toEqual([]);
    expect(e.warnings).toHaveLength(1);
    expect(e.warnings[0]).toMatch(/d\/sub\/f3.*stands on its way/);
    expect(existsSync(join(dest, 'f3'))).toBe(false);
  });

  it('a new name when the destination does not exist', async () => {
    const dest = fresh();
    await unpack(archive([{ name: './app-secret', body: 's' }]), join(dest, 'copy'), 'app-secret');
    expect(readFileSync(join(dest, 'copy'), 'utf8')).toBe('s');
  });

  it('refuses every way out of the destination', async () => {
    const dest = fresh();
    const outside = join(base, 'outside');
    const { warnings } = await unpack(
      archive([
        { name: './d/', type: 'directory' },
        { name: './d/../../escape', body: 'x' },
        { name: '/etc/abs', body: 'x' },
        { name: './d/up', type: 'symlink', linkname: '../../outside' },
        { name: './d/etc', type: 'symlink', linkname: '/etc' },
        { name: './d/etc/passwd', body: 'x' },
        { name: './other', body: 'x' },
        { name: './d/h', type: 'link', linkname: '/etc/passwd' },
      ]),
      dest,
      'd',
    );
    expect(warnings).toHaveLength(7);
    expect(warnings.every((w) => /^refused /.test(w))).toBe(true);
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(join(base, 'escape'))).toBe(false);
    expect(existsSync(join(dest, 'd', 'etc'))).toBe(false);
  });

  it('never writes through a link that was already there', async () => {
    const dest = fresh();
    const victim = join(fresh(), 'victim');
    writeFileSync(victim, 'keep');
    mkdirSync(join(dest, 'd'));
    symlinkSync(victim, join(dest, 'd', 'f'));
    symlinkSync(join(base), join(dest, 'd', 'sub'));
    const { warnings } = await unpack(
      archive([
        { name: './d/', type: 'directory' },
        { name: './d/f', body: 'new' },
        { name: './d/sub/x', body: 'x' },
      ]),
      dest,
      'd',
    );
    expect(readFileSync(victim, 'utf8')).toBe('keep');
    expect(readFileSync(join(dest, 'd', 'f'), 'utf8')).toBe('new');
    expect(existsSync(join(base, 'x'))).toBe(false);
    expect(warnings).toHaveLength(1);
  });

  it('a directory onto a file is refused', async () => {
    const dest = fresh();
    writeFileSync(join(dest, 'f'), 'x');
    await expect(unpack(archive([{ name: './d/', type: 'directory' }]), join(dest, 'f'), 'd')).rejects.toBeInstanceOf(PathKindError);
  });
});

describe('packing local files', () => {
  it('what BusyBox tar reads back: names, modes, links; links out refused', async () => {
    const src = join(fresh(), 'tree');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'sub', 'x'), 'xx');
    chmodSync(join(src, 'sub', 'x'), 0o640);
    utimesSync(join(src, 'sub', 'x'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    symlinkSync('sub/x', join(src, 'in'));
    symlinkSync('/etc/passwd', join(src, 'out'));
    const warnings: string[] = [];
    const p = await localPacker(src, (l) => warnings.push(l));
    expect(p).toMatchObject({ name: 'tree', kind: 'd', size: 2 });
    expect(warnings).toEqual(['refused "tree/out": it is a link to "/etc/passwd"; it would land outside the destination']);
    const chunks: Buffer[] = [];
    for await (const c of p.stream) chunks.push(c as Buffer);
    const listing = spawnSync('/bin/busybox', ['tar', '-tv', '-f', '-'], { input: Buffer.concat(chunks) }).stdout.toString('utf8');
    expect(listing).toMatch(/-rw-r----- .* 2 2020-01-01 00:00:00 \.\/tree\/sub\/x/);
    expect(listing).toMatch(/\.\/tree\/in -> sub\/x/);
    expect(listing).not.toMatch(/out/);
  });
});

describe('packing local files: bodies', () => {
  it('BusyBox tar extracts a big file (streamed), small ones and a long name byte for byte', async () => {
    const src = join(fresh(), 'data');
    const deep = join(src, 'd'.repeat(80), 'e'.repeat(80));
    mkdirSync(deep, { recursive: true });
    const big = Buffer.alloc(600 * 1024 + 123);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    writeFileSync(join(src, 'big.bin'), big);
    writeFileSync(join(deep, 'f'), 'deep');
    for (let i = 0; i < 50; i++) writeFileSync(join(src, `s${i}`), `small ${i}\n`);
    const p = await localPacker(src, () => undefined);
    const chunks: Buffer[] = [];
    for await (const c of p.stream) chunks.push(c as Buffer);
    const out = fresh();
    const r = spawnSync('/bin/busybox', ['tar', '-x', '-f', '-'], { input: Buffer.concat(chunks), cwd: out });
    expect(r.stderr.toString('utf8')).toBe('');
    expect(readFileSync(join(out, 'data', 'big.bin')).equals(big)).toBe(true);
    expect(readFileSync(join(out, 'data', 'd'.repeat(80), 'e'.repeat(80), 'f'), 'utf8')).toBe('deep');
    expect(readFileSync(join(out, 'data', 's49'), 'utf8')).toBe('small 49\n');
  });
});

describe('coalesce', () => {
  const collect = async (chunks: number[], size: number) => {
    async function* src() {
      for (const [i, len] of chunks.entries()) yield Buffer.alloc(len, i);
    }
    const out: Buffer[] = [];
    for await (const c of coalesce(src(), size)) out.push(c);
    return out;
  };
  it('joins small buffers into writes of at least the given size, bytes and order kept', async () => {
    const chunks = [512, 16, 496, 512, 16, 496, 512];
    const out = await collect(chunks, 1024);
    expect(out.map((b) => b.length)).toEqual([1024, 1024, 512]);
    expect(Buffer.concat(out)).toEqual(Buffer.concat(chunks.map((len, i) => Buffer.alloc(len, i))));
  });
  it('passes a big buffer as it is when nothing is waiting', async () => {
    const out = await collect([4096, 10, 4096], 1024);
    expect(out.map((b) => b.length)).toEqual([4096, 4106]);
  });
});
