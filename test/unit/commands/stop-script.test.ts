import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keeperScript, stopScript } from '../../../src/plan/scripts.js';
import { parseProbe, probeScript } from '../../../src/commands/list/idle.js';

const BUSYBOX = '/bin/busybox';
const APPLETS = ['sh', 'ls', 'awk', 'cat', 'id', 'date', 'sleep', 'mv', 'rm', 'mkdir', 'printf', 'echo', 'kill', 'test', 'tr'];
let base: string;
let binDir: string;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'dd-stop-')));
  binDir = join(base, 'bin');
  mkdirSync(binDir);
  for (const a of APPLETS) symlinkSync(BUSYBOX, join(binDir, a));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const MINE = '0::/kubepods/pod1/debugger\n';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fake /proc entry for a real process (so kill reaches it), in this or another container's cgroup. */
function entry(proc: string, pid: number, cgroup: string, argv: string[], sid = 1): void {
  const d = join(proc, String(pid));
  mkdirSync(join(d, 'fd'), { recursive: true });
  writeFileSync(join(d, 'cgroup'), cgroup);
  writeFileSync(join(d, 'cmdline'), argv.map((a) => `${a}\0`).join(''));
  writeFileSync(join(d, 'stat'), `${pid} (sh) S 1 ${pid} ${sid} 0 -1\n`);
  writeFileSync(join(d, 'fd', '2'), '');
}

describe('stop script, run by BusyBox against a fake /proc', () => {
  it('tells each session, ends it, writes the reason to the termination log, and the keeper exits 0', async () => {
    const dir = join(base, 'case1');
    const proc = join(dir, 'proc');
    const state = join(dir, 'state');
    mkdirSync(join(proc, 'self'), { recursive: true });
    writeFileSync(join(proc, 'self', 'cgroup'), MINE);
    mkdirSync(join(proc, '1', 'root'), { recursive: true }); // the target
    const termlog = join(dir, 'termlog');
    const env = { PATH: binDir, DD_PROC: proc, DD_STATE_DIR: state, DD_TERMINATION_LOG: termlog, DD_IDLE_TIMEOUT: '0' };
    const keeper = spawn(BUSYBOX, ['sh', '-c', keeperScript(), 'distroless-debug-keeper'], { env, stdio: 'ignore' });
    const keeperExit = new Promise<number | null>((r) => keeper.on('exit', (c) => r(c)));
    const session = spawn('sleep', ['300'], { stdio: 'ignore' });
    const sessionGone = new Promise<NodeJS.Signals | null>((r) => session.on('exit', (_c, s) => r(s)));
    // Another debugger's keeper in the same PID namespace: never touched.
    const other = spawn('sleep', ['300'], { stdio: 'ignore' });
    entry(proc, keeper.pid!, MINE, ['/bin/sh', '-c', 'script', 'distroless-debug-keeper']);
    entry(proc, other.pid!, '0::/kubepods/pod1/another\n', ['/bin/sh', '-c', 'script', 'distroless-debug-keeper']);
    entry(proc, session.pid!, MINE, ['/bin/sh', '-c', 'script', 'distroless-debug-session', 'sid1']);
    while (!existsSync(join(state, 'pid'))) await sleep(25);
    writeFileSync(join(state, 'sessions', 'sid1'), `${session.pid} ${Math.floor(Date.now() / 1000)}\n`);
    const r = spawnSync(BUSYBOX, ['sh', '-c', stopScript(), 'distroless-debug-stop', 'stopped by alice at 2026-11-28T10:00:00Z'], { env, encoding: 'utf8', timeout: 10_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`stopping main process ${keeper.pid}`);
    expect(await sessionGone).toBe('SIGHUP');
    expect(await keeperExit).toBe(0);
    expect(readFileSync(termlog, 'utf8')).toBe('stopped by alice at 2026-11-28T10:00:00Z\n');
    expect(readFileSync(join(proc, String(session.pid), 'fd', '2'), 'utf8')).toBe('\ndistroless-debug: this debugger was stopped by alice at 2026-11-28T10:00:00Z; the session ends now\n');
    expect(other.exitCode).toBeNull();
    other.kill();
  }, 20_000);

  it('attach mode: the main process is the session: told, hung up, and the reason logged', async () => {
    const dir = join(base, 'case-attach');
    const proc = join(dir, 'proc');
    mkdirSync(join(proc, 'self'), { recursive: true });
    writeFileSync(join(proc, 'self', 'cgroup'), MINE);
    const main = spawn('sleep', ['300'], { stdio: 'ignore' });
    const gone = new Promise<NodeJS.Signals | null>((r) => main.on('exit', (_c, s) => r(s)));
    entry(proc, main.pid!, MINE, ['/bin/sh', '-c', 'script', 'distroless-debug-session', 'sleep', '300']);
    const termlog = join(dir, 'termlog');
    const r = spawnSync(BUSYBOX, ['sh', '-c', stopScript(), 'distroless-debug-stop', 'stopped by carol at T'], {
      env: { PATH: binDir, DD_PROC: proc, DD_STATE_DIR: join(dir, 'state'), DD_TERMINATION_LOG: termlog, DD_MODE: 'attach' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(r.status).toBe(0);
    expect(await gone).toBe('SIGHUP');
    expect(readFileSync(termlog, 'utf8')).toBe('stopped by carol at T\n');
    expect(readFileSync(join(proc, String(main.pid), 'fd', '2'), 'utf8')).toContain('this debugger was stopped by carol at T; the session ends now');
  }, 15_000);

  it('finds no main process outside its own cgroup and changes nothing', () => {
    const dir = join(base, 'case2');
    const proc = join(dir, 'proc');
    mkdirSync(join(proc, 'self'), { recursive: true });
    writeFileSync(join(proc, 'self', 'cgroup'), MINE);
    entry(proc, 999999, '0::/elsewhere\n', ['/bin/sh', '-c', 'x', 'distroless-debug-keeper']);
    const termlog = join(dir, 'termlog');
    const r = spawnSync(BUSYBOX, ['sh', '-c', stopScript(), 'distroless-debug-stop', 'stopped by bob at T'], {
      env: { PATH: binDir, DD_PROC: proc, DD_STATE_DIR: join(dir, 'state'), DD_TERMINATION_LOG: termlog },
      encoding: 'utf8',
    });
    expect(r.status).toBe(4);
    expect(r.stderr).toContain("main process was not found");
    expect(existsSync(termlog)).toBe(false);
  });
});

describe('the -o wide activity probe', () => {
  it('counts live sessions and reads the last session end', () => {
    const state = join(base, 'probe');
    mkdirSync(join(state, 'sessions'), { recursive: true });
    writeFileSync(join(state, 'last'), '1700000000\n');
    writeFileSync(join(state, 'sessions', 'a'), `${process.pid} 1\n`);
    writeFileSync(join(state, 'sessions', 'b'), `2147483646 1\n`);
    const r = spawnSync(BUSYBOX, ['sh', '-c', probeScript()], { env: { PATH: binDir, DD_STATE_DIR: state }, encoding: 'utf8' });
    expect(r.stdout).toMatch(/^dd-activity 1 1700000000 \d+\n$/);
  });

  it('parses: sessions, or idle since the later of the start and the last session end', () => {
    expect(parseProbe('dd-activity 2 0 100', undefined, 600)).toEqual({ kind: 'sessions', count: 2 });
    expect(parseProbe('dd-activity 0 1000 1600', '1970-01-01T00:10:00Z', 900)).toEqual({ kind: 'idle', seconds: 600, exitsInSeconds: 300 });
    expect(parseProbe('dd-activity 0 0 1600', '1970-01-01T00:25:00Z', 0)).toEqual({ kind: 'idle', seconds: 100, exitsInSeconds: undefined });
    expect(parseProbe('garbage', undefined, 1).kind).toBe('unknown');
  });
});
