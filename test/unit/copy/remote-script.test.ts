import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyTarMessages, CP_FAIL_EXIT, packScript, parseRemoteStderr, unpackScript } from '../../../src/copy/remote-script.js';

const BUSYBOX = '/bin/busybox';
let base: string;
let root: string;

/** Runs a script as the session would: cwd and $TARGET_ROOT at the fake app root, only BusyBox on PATH. */
function run(script: string, args: string[], input?: Buffer) {
  const r = spawnSync(BUSYBOX, ['sh', '-c', script, 'distroless-debug-cp', ...args], {
    cwd: root,
    env: { TARGET_ROOT: root, PATH: join(base, 'bin') },
    input: input ?? Buffer.alloc(0),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'dd-cp-')));
  mkdirSync(join(base, 'bin'));
  for (const a of ['sh', 'tar', 'ls', 'du', 'awk', 'stat', 'readlink', 'mkdir', 'rmdir', 'rm', 'mv', 'cat', 'echo']) symlinkSync(BUSYBOX, join(base, 'bin', a));
  root = join(base, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'run', 'app'), { recursive: true });
  mkdirSync(join(root, 'var'));
  writeFileSync(join(root, 'etc', 'app-secret'), 'secret\n');
  writeFileSync(join(root, 'run', 'app', 'f'), 'f\n');
  // Absolute links mean the app's root, not the debugger's.
  symlinkSync('/run', join(root, 'var', 'run'));
  symlinkSync('/etc/app-secret', join(root, 'secret-link'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

function names(tarBytes: Buffer): string[] {
  const r = spawnSync(BUSYBOX, ['tar', '-t', '-f', '-'], { input: tarBytes });
  return r.stdout.toString('utf8').trim().split('\n');
}

describe('pack (out of the pod)', () => {
  it('a file, with its size announced', () => {
    const r = run(packScript(), ['/etc/app-secret']);
    expect(r.code).toBe(0);
    expect(parseRemoteStderr(r.stderr).size).toBe(7);
    expect(names(r.stdout)).toEqual(['./app-secret']);
  });

  it('"-" (no progress bar): no size line, no walk for it; the same archive', () => {
    for (const path of ['/etc/app-secret', '/run/app']) {
      const r = run(packScript(), [path, '-']);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.equals(run(packScript(), [path, 'size']).stdout)).toBe(true);
    }
    expect(parseRemoteStderr(run(packScript(), ['/run/app', 'size']).stderr).size).toBeGreaterThan(0);
  });

  it('absolute links on the way resolve inside the app root; the path itself is followed', () => {
    expect(names(run(packScript(), ['/var/run/app']).stdout)).toEqual(['./app/', './app/f']);
    expect(names(run(packScript(), ['/secret-link']).stdout)).toEqual(['./app-secret']);
  });

  it('.. stops at the app root', () => {
    expect(names(run(packScript(), ['/../../../etc/app-secret']).stdout)).toEqual(['./app-secret']);
  });

  it('a missing path is reported, nothing is sent', () => {
    const r = run(packScript(), ['/etc/nope']);
    expect(r.code).toBe(CP_FAIL_EXIT);
    expect(r.stdout.length).toBe(0);
    expect(parseRemoteStderr(r.stderr).failure).toEqual({ kind: 'missing', path: '/etc/nope' });
    expect(parseRemoteStderr(run(packScript(), ['/nope/deeper']).stderr).failure?.kind).toBe('missing');
  });
});

describe('unpack (into the pod)', () => {
  const tarOf = (dir: string, name: string) => spawnSync(BUSYBOX, ['tar', '-c', '-f', '-', `./${name}`], { cwd: dir }).stdout;
  let src: string;
  beforeAll(() => {
    src = join(base, 'src');
    mkdirSync(join(src, 'd'), { recursive: true });
    writeFileSync(join(src, 'd', 'a'), 'a\n');
    writeFileSync(join(src, 'file'), 'file\n');
  });

  it('into an existing directory (through an absolute link), under its own name', () => {
    const r = run(unpackScript(), ['/var/run', 'd', 'd'], tarOf(src, 'd'));
    expect(r.code).toBe(0);
    expect(readFileSync(join(root, 'run', 'd', 'a'), 'utf8')).toBe('a\n');
  });

  it('to a new name', () => {
    expect(run(unpackScript(), ['/run/renamed', 'file', 'f'], tarOf(src, 'file')).code).toBe(0);
    expect(readFileSync(join(root, 'run', 'renamed'), 'utf8')).toBe('file\n');
  });

  it('a directory onto a file, a missing parent: refused before reading', () => {
    expect(parseRemoteStderr(run(unpackScript(), ['/etc/app-secret', 'd', 'd'], tarOf(src, 'd')).stderr).failure?.kind).toBe('notdir');
    expect(parseRemoteStderr(run(unpackScript(), ['/nope/x', 'd', 'd'], tarOf(src, 'd')).stderr).failure).toEqual({ kind: 'missing', path: '/nope' });
  });
});

describe("tar's own words", () => {
  it.each([
    [['tar: write: No space left on device'], 'nospace'],
    [["tar: can't create 'x': Read-only file system"], 'readonly'],
    [["tar: can't open 'x': Permission denied"], 'permission'],
    [['tar: short read'], undefined],
  ])('%j -> %s', (lines, want) => expect(classifyTarMessages(lines)).toBe(want));
});
