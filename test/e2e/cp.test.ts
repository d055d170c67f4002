import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appImage, createPod, deletePod, ephemeralNames, kubectl, kubectlJSON, KUBECONFIG, PLUGIN, plugin, uniq } from './helpers.js';

// `cp` through the real executable on fresh pods: a :nonroot app (no tar, no
// shell) with a read-only root, an emptyDir at /scratch and a Secret at
// /secret-vol.

const ns = 'demo';
const pod = uniq('cp');
const secret = uniq('cp-secret');
const local = mkdtempSync(join(tmpdir(), 'dd-cp-e2e-'));

beforeAll(async () => {
  await kubectl(['-n', ns, 'create', 'secret', 'generic', secret, '--from-literal=token=s3cr3t-value']);
  await createPod({
    namespace: ns,
    name: pod,
    containers: [
      {
        name: 'app',
        image: appImage('nonroot'),
        securityContext: { readOnlyRootFilesystem: true },
        volumeMounts: [
          { name: 'scratch', mountPath: '/scratch' },
          { name: 'secret', mountPath: '/secret-vol' },
          { name: 'mem', mountPath: '/mem' },
        ],
      },
    ],
    spec: {
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'secret', secret: { secretName: secret } },
        // A tmpfs of 1 MiB: the kubelet sizes it by sizeLimit, so a bigger file fills it.
        { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
      ],
    },
  });
});

afterAll(async () => {
  await deletePod(ns, pod);
  await kubectl(['-n', ns, 'delete', 'secret', secret, '--ignore-not-found']);
  rmSync(local, { recursive: true, force: true });
});

const sha256 = (file: string) =>
  new Promise<string>((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });

/** The plugin under /usr/bin/time -v: its exit code, stderr, and peak RSS in KiB. */
function timed(args: string[]): { code: number | null; stderr: string; rssKiB: number; seconds: number } {
  const r = spawnSync('/usr/bin/time', ['-v', PLUGIN, ...args], { env: { ...process.env, KUBECONFIG }, encoding: 'utf8', timeout: 300_000 });
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const seconds = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : Number.NaN;
  return { code: r.status, stderr: r.stderr, rssKiB: Number(rss?.[1] ?? Number.NaN), seconds };
}

describe('cp out of a distroless pod', () => {
  it('copies /etc/app-secret (0600, owned by the app) byte for byte, with its mode and time', async () => {
    const r = await plugin(['cp', '-n', ns, `${pod}:/etc/app-secret`, join(local, 'secret')]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const viaSession = await plugin(['-n', ns, pod, '-q', '--', 'cat', 'etc/app-secret']);
    expect(readFileSync(join(local, 'secret'), 'utf8')).toBe(viaSession.stdout);
    expect(readFileSync(join(local, 'secret'), 'utf8')).toBe('secret of the nonroot fixture\n');
    expect(statSync(join(local, 'secret')).mode & 0o777).toBe(0o600);
    expect(statSync(join(local, 'secret')).mtime.getTime()).toBe(0);
  });

  it('reuses the running debugger, as a session with the same flags does', async () => {
    const before = await ephemeralNames(ns, pod);
    expect(before).toHaveLength(1);
    await plugin(['-n', ns, pod, '-q', '--', 'true']);
    const r = await plugin(['cp', '-q', '-n', ns, `${pod}:/etc/app-variant`, join(local, 'variant')]);
    expect(r.code).toBe(0);
    expect(await ephemeralNames(ns, pod)).toEqual(before);
  });

  it('reaches the Secret volume', async () => {
    const r = await plugin(['cp', '-q', '-n', ns, `${pod}:/secret-vol/token`, join(local, 'token')]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(local, 'token'), 'utf8')).toBe('s3cr3t-value');
  });

  it('a path that does not exist: 66, nothing written', async () => {
    const r = await plugin(['cp', '-q', '-n', ns, `${pod}:/etc/nope`, join(local, 'nope')]);
    expect(r.code).toBe(66);
    expect(r.stderr).toBe(`error: ${pod}:/etc/nope: no such file or directory in the pod; check the path (kubectl distroless-debug ${pod} -- ls -la DIR lists a directory)\n`);
    expect(existsSync(join(local, 'nope'))).toBe(false);
  });
});

describe('cp into a distroless pod', () => {
  it('writes into the emptyDir as the app identity, and reads back equal', async () => {
    const src = join(local, 'tree');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'sub', 'x.txt'), 'hello\n', { mode: 0o640 });
    symlinkSync('sub/x.txt', join(src, 'link'));
    const r = await plugin(['cp', '-q', '-n', ns, src, `${pod}:/scratch/`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ls = await plugin(['-n', ns, pod, '-q', '--', 'sh', '-c', 'stat -c "%u:%g %a %n" scratch/tree scratch/tree/sub/x.txt; readlink scratch/tree/link; cat scratch/tree/link']);
    expect(ls.stdout).toBe('65532:65532 755 scratch/tree\n65532:65532 640 scratch/tree/sub/x.txt\nsub/x.txt\nhello\n');
  });

  it('a write into the read-only root is refused with the plain message and the writable volumes (20 MiB: no hang)', async () => {
    writeFileSync(join(local, 'f.bin'), Buffer.alloc(20 << 20, 3));
    const t0 = Date.now();
    const r = await plugin(['cp', '-q', '-n', ns, join(local, 'f.bin'), `${pod}:/etc/`], { timeoutMs: 60_000 });
    expect(r.code).toBe(70);
    expect(r.stderr).toBe(`error: cannot write ${pod}:/etc: read-only file system; writable volume mounts of container app: /scratch (emptyDir), /mem (emptyDir); copy into one of them\n`);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('a remembered debugger that has exited (idle timeout) is replaced, also for an upload', async () => {
    const flags = ['-q', '-n', ns, '--idle-timeout', '6s'];
    expect((await plugin(['cp', ...flags, `${pod}:/etc/app-variant`, join(local, 'v1')])).code).toBe(0);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const p = await kubectlJSON<{ status: { ephemeralContainerStatuses?: Array<{ state: Record<string, unknown> }> } }>(['-n', ns, 'get', 'pod', pod]);
      // The other tests' debugger (default idle timeout) runs on: wait for the 6 s one to exit.
      if ((p.status.ephemeralContainerStatuses ?? []).some((c) => c.state['terminated'])) break;
      if (Date.now() > deadline) throw new Error('the 6s debugger did not exit');
      await new Promise((r) => setTimeout(r, 1000));
    }
    const r = await plugin(['cp', ...flags, join(local, 'f.bin'), `${pod}:/scratch/f.bin`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a full disk: 80 with the plain message', async () => {
    writeFileSync(join(local, 'three-mib'), Buffer.alloc(3 << 20, 1));
    const r = await plugin(['cp', '-q', '-n', ns, join(local, 'three-mib'), `${pod}:/mem/`]);
    expect(r.code).toBe(80);
    expect(r.stderr).toBe(`error: cannot write ${pod}:/mem: no space left on the device in the pod; free some space or copy to another volume\n`);
  });

  it("a file the app's user may not read: 70", async () => {
    expect((await plugin(['-n', ns, pod, '-q', '--', 'sh', '-c', 'echo x > scratch/locked && chmod 000 scratch/locked'])).code).toBe(0);
    const r = await plugin(['cp', '-q', '-n', ns, `${pod}:/scratch/locked`, join(local, 'locked')]);
    expect(r.code).toBe(70);
    expect(r.stderr).toBe(`error: ${pod}:/scratch/locked: permission denied for the app's user; the copy runs as the app's identity (see -v), --uid/--gid choose another\n`);
    expect(existsSync(join(local, 'locked'))).toBe(false);
  });

  it('a directory onto a file: 64', async () => {
    const r = await plugin(['cp', '-q', '-n', ns, join(local, 'tree'), `${pod}:/etc/app-secret`]);
    expect(r.code).toBe(64);
    expect(r.stderr).toBe(`error: ${pod}:/etc/app-secret is a file, not a directory; give a directory (or a new name) as the destination\n`);
  });
});

describe('cp refuses what would land outside the destination', () => {
  it('out: links in the pod pointing out are not made here (80, one warning each)', async () => {
    const mk = await plugin(['-n', ns, pod, '-q', '--', 'sh', '-c', 'mkdir -p scratch/evil && ln -sf /etc/passwd scratch/evil/pw && ln -sf ../../.. scratch/evil/up && echo ok > scratch/evil/fine']);
    expect(mk.code).toBe(0);
    const r = await plugin(['cp', '-n', ns, `${pod}:/scratch/evil`, join(local, 'evil')]);
    expect(r.code).toBe(80);
    expect(r.stderr).toContain('warning: refused "./evil/pw": it is a link to "/etc/passwd"; it would land outside the destination');
    expect(r.stderr).toContain('warning: refused "./evil/up": it is a link to "../../.."; it would land outside the destination');
    expect(r.stderr).toMatch(/error: 2 entries were not copied \(see the warnings above\); the rest was copied to .*evil\n$/);
    expect(readFileSync(join(local, 'evil', 'fine'), 'utf8')).toBe('ok\n');
    expect(existsSync(join(local, 'evil', 'pw'))).toBe(false);
    expect(existsSync(join(local, 'evil', 'up'))).toBe(false);
  });

  it('in: local links pointing out are not sent', async () => {
    const src = join(local, 'outward');
    mkdirSync(src);
    symlinkSync('/etc/shadow', join(src, 'shadow'));
    writeFileSync(join(src, 'ok'), 'ok');
    const r = await plugin(['cp', '-n', ns, src, `${pod}:/scratch/`]);
    expect(r.code).toBe(80);
    expect(r.stderr).toContain('warning: refused "outward/shadow": it is a link to "/etc/shadow"; it would land outside the destination');
    const ls = await plugin(['-n', ns, pod, '-q', '--', 'ls', 'scratch/outward']);
    expect(ls.stdout).toBe('ok\n');
  });

  it('a remote path climbing with .. stays inside the app root', async () => {
    const r = await plugin(['cp', '-q', '-n', ns, `${pod}:/../../../../etc/app-variant`, join(local, 'climb')]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(local, 'climb'), 'utf8')).toBe('nonroot\n');
  });
});

describe('cp progress', () => {
  it('a transfer that takes more than a moment shows bytes, rate and ETA on a terminal (tmux), then a summary', async () => {
    const file = join(local, 'progress.bin');
    writeFileSync(file, Buffer.alloc(120 << 20, 7));
    const session = uniq('dd-cp');
    const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' }).stdout;
    tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '20', `env KUBECONFIG=${KUBECONFIG} ${PLUGIN} cp -n ${ns} ${file} ${pod}:/scratch/; echo "EXITED rc=$?"; sleep 600`);
    try {
      let seen = '';
      const deadline = Date.now() + 120_000;
      for (;;) {
        const screen = tmux('capture-pane', '-p', '-J', '-t', session);
        if (/\[[= >]+\] +\d+% [\d.]+ \w+ \/ 120 MiB +[\d.]+ \w+\/s +ETA \S+/.test(screen)) seen = screen;
        if (/EXITED rc=\d+/.test(screen)) {
          expect(screen).toMatch(/EXITED rc=0/);
          expect(screen).toMatch(/distroless-debug: copied 120 MiB in [\d.]+s \([\d.]+ \w+\/s\)/);
          break;
        }
        if (Date.now() > deadline) throw new Error(`no end: ${screen}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(seen).not.toBe('');
    } finally {
      tmux('kill-session', '-t', session);
      await plugin(['-n', ns, pod, '-q', '--', 'rm', '-f', 'scratch/progress.bin']);
    }
  });
});

describe('cp at size', () => {
  it('200 MiB out and back: equal sha256, plugin peak RSS recorded', async () => {
    const big = join(local, 'big.bin');
    const made = spawnSync('head', ['-c', String(200 << 20), '/dev/urandom'], { maxBuffer: 300 << 20 });
    writeFileSync(big, made.stdout);
    const want = await sha256(big);
    const up = timed(['cp', '-q', '-n', ns, big, `${pod}:/scratch/big.bin`]);
    expect(up.stderr).not.toMatch(/^error/m);
    expect(up.code).toBe(0);
    mkdirSync(join(local, 'back'));
    const down = timed(['cp', '-q', '-n', ns, `${pod}:/scratch/big.bin`, join(local, 'back')]);
    expect(down.code).toBe(0);
    expect(await sha256(join(local, 'back', 'big.bin'))).toBe(want);
    console.log(`cp 200 MiB: in ${up.seconds}s peak RSS ${Math.round(up.rssKiB / 1024)} MiB; out ${down.seconds}s peak RSS ${Math.round(down.rssKiB / 1024)} MiB`);
    expect(up.rssKiB).toBeLessThan(100 * 1024);
    expect(down.rssKiB).toBeLessThan(100 * 1024);
    await plugin(['-n', ns, pod, '-q', '--', 'rm', '-f', 'scratch/big.bin']);
  });

  it('5,000 small files out as a directory', async () => {
    const mk = await plugin(['-n', ns, pod, '-q', '--', 'sh', '-c', 'mkdir -p scratch/many && cd scratch/many && i=0; while [ $i -lt 5000 ]; do echo "file $i" > f$i; i=$((i+1)); done']);
    expect(mk.code).toBe(0);
    const r = await plugin(['cp', '-q', '-n', ns, `${pod}:/scratch/many`, join(local, 'many')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const names = readdirSync(join(local, 'many'));
    expect(names.length).toBe(5000);
    expect(readFileSync(join(local, 'many', 'f4999'), 'utf8')).toBe('file 4999\n');
    expect(lstatSync(join(local, 'many')).isDirectory()).toBe(true);
  });
});
