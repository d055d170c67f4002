import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE, KUBECTL, REPO, run, type Result } from './helpers.js';

// The krew release end to end: scripts/release builds (or reuses) the
// archives of every platform, krew's own validator checks the manifest and
// installs each platform from a local HTTP server, real krew installs the
// linux/amd64 archive, and the installed single executable runs a session on
// the local cluster with no Node.js on PATH.

const KREW_MODULE = 'sigs.k8s.io/krew';
const KREW_VERSION = 'v0.4.3'; // the newest version the Go module proxy serves
const TOOLS = `${CACHE}/bin`;
const VERSION = (JSON.parse(readFileSync(`${REPO}/package.json`, 'utf8')) as { version: string }).version;
const RELEASE = `${REPO}/release`;

interface Platform {
  os: 'linux' | 'darwin' | 'windows';
  arch: 'amd64' | 'arm64';
}
const PLATFORMS: Platform[] = [
  { os: 'linux', arch: 'amd64' },
  { os: 'linux', arch: 'arm64' },
  { os: 'darwin', arch: 'amd64' },
  { os: 'darwin', arch: 'arm64' },
  { os: 'windows', arch: 'amd64' },
];
const archiveOf = (p: Platform) => `kubectl-distroless-debug_v${VERSION}_${p.os}_${p.arch}.${p.os === 'windows' ? 'zip' : 'tar.gz'}`;
const exeOf = (p: Platform) => `kubectl-distroless_debug${p.os === 'windows' ? '.exe' : ''}`;
const completionOf = (p: Platform) => `kubectl_complete-distroless_debug${p.os === 'windows' ? '.cmd' : ''}`;

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    version: string;
    homepage: string;
    shortDescription: string;
    description: string;
    caveats: string;
    platforms: Array<{
      selector: { matchLabels: { os: string; arch: string } };
      uri: string;
      sha256: string;
      bin: string;
      files: Array<{ from: string; to: string }>;
    }>;
  };
}
const readManifest = (file: string) => load(readFileSync(file, 'utf8')) as Manifest;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function ok(r: Result, what: string): Result {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** krew and its manifest validator, built from the Go module once into the cache. */
async function ensureKrewTools(): Promise<void> {
  const missing = ['krew', 'validate-krew-manifest'].filter((b) => !existsSync(`${TOOLS}/${b}`));
  if (missing.length === 0) return;
  const go = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
  ok(
    await run(go, ['install', ...missing.map((b) => `${KREW_MODULE}/cmd/${b}@${KREW_VERSION}`)], {
      env: { GOBIN: TOOLS, GOFLAGS: '-buildvcs=false' },
      timeoutMs: 900_000,
    }),
    `go install krew ${KREW_VERSION}`,
  );
}

// --- binary formats ---------------------------------------------------------

type Format = { kind: 'ELF'; machine: number } | { kind: 'Mach-O'; cputype: number } | { kind: 'PE'; machine: number };

function expectedFormat(p: Platform): Format {
  if (p.os === 'linux') return { kind: 'ELF', machine: p.arch === 'amd64' ? 0x3e : 0xb7 }; // EM_X86_64, EM_AARCH64
  if (p.os === 'darwin') return { kind: 'Mach-O', cputype: p.arch === 'amd64' ? 0x01000007 : 0x0100000c }; // CPU_TYPE_X86_64, CPU_TYPE_ARM64
  return { kind: 'PE', machine: 0x8664 }; // IMAGE_FILE_MACHINE_AMD64
}

function formatOf(b: Buffer): Format | string {
  if (b.readUInt32BE(0) === 0x7f454c46) {
    if (b[4] !== 2 || b[5] !== 1) return 'ELF, not 64-bit little-endian';
    if (b.readUInt16LE(16) !== 2) return 'ELF, not an executable (ET_EXEC)';
    return { kind: 'ELF', machine: b.readUInt16LE(18) };
  }
  if (b.readUInt32LE(0) === 0xfeedfacf) {
    if (b.readUInt32LE(12) !== 2) return 'Mach-O, not MH_EXECUTE';
    return { kind: 'Mach-O', cputype: b.readUInt32LE(4) };
  }
  if (b.toString('latin1', 0, 2) === 'MZ') {
    const pe = b.readUInt32LE(0x3c);
    if (b.readUInt32BE(pe) !== 0x50450000) return 'MZ without a PE header';
    if (b.readUInt16LE(pe + 24) !== 0x20b) return 'PE, not PE32+';
    if (b.readUInt16LE(pe + 24 + 68) !== 3) return 'PE, not a console program';
    return { kind: 'PE', machine: b.readUInt16LE(pe + 4) };
  }
  return `unknown magic ${b.subarray(0, 4).toString('hex')}`;
}

/**
 * Checks a Mach-O's embedded code signature the way the kernel does: ad hoc
 * (no certificate), and every page's SHA-256 matches the code directory.
 */
function checkAdhocSignature(b: Buffer): { identifier: string; pages: number } {
  const ncmds = b.readUInt32LE(16);
  let off = 32;
  let sig: { dataoff: number; datasize: number } | undefined;
  for (let i = 0; i < ncmds; i++) {
    const cmd = b.readUInt32LE(off);
    if (cmd === 0x1d) sig = { dataoff: b.readUInt32LE(off + 8), datasize: b.readUInt32LE(off + 12) }; // LC_CODE_SIGNATURE
    off += b.readUInt32LE(off + 4);
  }
  if (!sig) throw new Error('no LC_CODE_SIGNATURE');
  const sb = sig.dataoff;
  expect(b.readUInt32BE(sb), 'embedded signature superblob').toBe(0xfade0cc0);
  let cd: number | undefined;
  let cms = false;
  for (let i = 0; i < b.readUInt32BE(sb + 8); i++) {
    const type = b.readUInt32BE(sb + 12 + i * 8);
    const blob = sb + b.readUInt32BE(sb + 16 + i * 8);
    if (type === 0) cd = blob; // CSSLOT_CODEDIRECTORY
    if (type === 0x10000 && b.readUInt32BE(blob + 4) > 8) cms = true; // CSSLOT_SIGNATURESLOT with content
  }
  if (cd === undefined) throw new Error('no code directory');
  expect(b.readUInt32BE(cd), 'code directory magic').toBe(0xfade0c02);
  expect(cms, 'a certificate signature (expected ad hoc)').toBe(false);
  const flags = b.readUInt32BE(cd + 12);
  expect(flags & 0x2, 'CS_ADHOC').toBe(0x2);
  const hashOffset = b.readUInt32BE(cd + 16);
  const identOffset = b.readUInt32BE(cd + 20);
  const nCodeSlots = b.readUInt32BE(cd + 28);
  const codeLimit = b.readUInt32BE(cd + 32);
  const hashSize = b[cd + 36] as number;
  const hashType = b[cd + 37] as number;
  const pageSize = 2 ** (b[cd + 39] as number);
  expect(hashType, 'CS_HASHTYPE_SHA256').toBe(2);
  expect(codeLimit, 'the signature covers everything before it').toBe(sig.dataoff);
  expect(nCodeSlots).toBe(Math.ceil(codeLimit / pageSize));
  for (let i = 0; i < nCodeSlots; i++) {
    const page = b.subarray(i * pageSize, Math.min((i + 1) * pageSize, codeLimit));
    const want = b.subarray(cd + hashOffset + i * hashSize, cd + hashOffset + (i + 1) * hashSize).toString('hex');
    if (sha256(page) !== want) throw new Error(`page ${i} does not match its code directory hash`);
  }
  const end = b.indexOf(0, cd + identOffset);
  return { identifier: b.toString('utf8', cd + identOffset, end), pages: nCodeSlots };
}

/** File range of a Mach-O section (LC_SEGMENT_64 → section_64). */
function machoSection(b: Buffer, segment: string, section: string): { offset: number; size: number } | undefined {
  const name = (at: number) => b.toString('latin1', at, at + 16).replace(/\0+$/, '');
  let off = 32;
  for (let i = 0; i < b.readUInt32LE(16); i++) {
    if (b.readUInt32LE(off) === 0x19 && name(off + 8) === segment) {
      for (let s = 0; s < b.readUInt32LE(off + 64); s++) {
        const sec = off + 72 + s * 80;
        if (name(sec) === section) return { offset: b.readUInt32LE(sec + 48), size: Number(b.readBigUInt64LE(sec + 40)) };
      }
    }
    off += b.readUInt32LE(off + 4);
  }
  return undefined;
}

// --- the test ---------------------------------------------------------------

describe('the krew release', () => {
  let tmp: string;
  let server: Server;
  const downloads = new Map<string, number>();
  let releaseManifest: string; // as published: GitHub release URLs
  let localManifest: string; // the same archives from a local HTTP server
  let pathBin: string; // kubectl and kubectl-krew, nothing else
  let krewRoot: string;
  let noNodePath: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'dd-krew-'));
    mkdirSync(`${tmp}/release-manifest`);
    releaseManifest = `${tmp}/release-manifest/distroless-debug.yaml`;
    // Reuses release/ when it was built from the same bundle and scripts (seconds); a cold build takes about a minute,
    // plus Node downloads and rcodesign's compilation the very first time.
    ok(await run(`${REPO}/scripts/release`, ['--manifest', releaseManifest], { timeoutMs: 1_700_000 }), 'scripts/release');
    await ensureKrewTools();

    pathBin = `${tmp}/path`;
    mkdirSync(pathBin);
    symlinkSync(KUBECTL, `${pathBin}/kubectl`);
    symlinkSync(`${TOOLS}/krew`, `${pathBin}/kubectl-krew`);
    krewRoot = `${tmp}/krew`;
    noNodePath = `${pathBin}:${krewRoot}/bin`;

    server = createServer((req, res) => {
      const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
      const file = path.join(RELEASE, name);
      if (name.includes('/') || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      downloads.set(name, (downloads.get(name) ?? 0) + 1);
      res.writeHead(200, { 'Content-Length': statSync(file).size, 'Content-Type': 'application/octet-stream' });
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    mkdirSync(`${tmp}/local-manifest`);
    localManifest = `${tmp}/local-manifest/distroless-debug.yaml`;
    ok(
      await run(`${REPO}/scripts/release`, ['manifest', '--url-template', `http://127.0.0.1:${port}/{archive}`, '--out', localManifest]),
      'scripts/release manifest',
    );
  }, 1_800_000);

  afterAll(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const krewEnv = () => ({ PATH: noNodePath, KREW_ROOT: krewRoot, KREW_NO_UPGRADE_CHECK: '1' });

  it('generates the manifest from package.json and the archives, as in the repository', () => {
    const m = readManifest(releaseManifest);
    expect(m.apiVersion).toBe('krew.googlecontainertools.github.com/v1alpha2');
    expect(m.kind).toBe('Plugin');
    expect(m.metadata.name).toBe('distroless-debug');
    expect(m.spec.version).toBe(`v${VERSION}`);
    expect(m.spec.shortDescription.length).toBeLessThanOrEqual(60);
    expect(m.spec.caveats).toMatch(/1\.25/);
    expect(m.spec.caveats).toMatch(/pods\/ephemeralcontainers: patch/);
    expect(m.spec.platforms.map((p) => p.selector.matchLabels)).toEqual(PLATFORMS);
    for (const [i, p] of PLATFORMS.entries()) {
      const entry = m.spec.platforms[i];
      const archive = archiveOf(p);
      expect(entry?.uri).toBe(`https://github.com/distroless-debug/kubectl-distroless-debug/releases/download/v${VERSION}/${archive}`);
      expect(entry?.sha256).toBe(sha256(readFileSync(`${RELEASE}/${archive}`)));
      expect(readFileSync(`${RELEASE}/${archive}.sha256`, 'utf8')).toBe(`${entry?.sha256}  ${archive}\n`);
      expect(entry?.bin).toBe(exeOf(p));
      expect(entry?.files.map((f) => f.from)).toEqual([exeOf(p), completionOf(p), 'LICENSE', 'THIRD_PARTY_LICENSES']);
    }
    // The committed manifest: same version and text; only the sums move when the code changes between releases.
    const withoutSums = (s: string) => s.replace(/sha256: "[0-9a-f]{64}"/g, 'sha256: "…"');
    expect(withoutSums(readFileSync(`${REPO}/krew-manifest.yaml`, 'utf8'))).toBe(withoutSums(readFileSync(releaseManifest, 'utf8')));
  });

  it("passes krew's validator, which installs every platform from the archives", async () => {
    // Structure of the manifest as published (its URLs are not reachable from here).
    const structural = ok(await run(`${TOOLS}/validate-krew-manifest`, ['-manifest', releaseManifest, '-skip-install']), 'validate-krew-manifest -skip-install');
    expect(structural.stderr).toMatch(/structural validation OK/);
    // The full validation: `kubectl krew install` with KREW_OS/KREW_ARCH of each platform, download, sha256, files, LICENSE.
    const full = ok(
      await run(`${TOOLS}/validate-krew-manifest`, ['-manifest', localManifest], { env: { PATH: `${pathBin}:${process.env.PATH}` }, timeoutMs: 600_000 }),
      'validate-krew-manifest',
    );
    expect(full.stderr).toMatch(/all 5 spec.platforms installed fine/);
    for (const p of PLATFORMS) expect(downloads.get(archiveOf(p)), archiveOf(p)).toBe(1);
  }, 600_000);

  it('installs with kubectl krew and runs a session without Node.js', async () => {
    const linux = PLATFORMS[0] as Platform;
    const install = ok(
      await run(KUBECTL, ['krew', 'install', `--manifest=${releaseManifest}`, `--archive=${RELEASE}/${archiveOf(linux)}`], { env: krewEnv() }),
      'kubectl krew install',
    );
    expect(install.stderr).toMatch(/Installed plugin: distroless-debug/);
    expect(install.stderr).toMatch(/Kubernetes 1\.25/);

    // Nothing that could run JavaScript is reachable.
    const which = await run('/bin/sh', ['-c', 'command -v node nodejs'], { env: { PATH: noNodePath } });
    expect(which.code).not.toBe(0);
    expect(which.stdout).toBe('');
    const installed = realpathSync(`${krewRoot}/bin/kubectl-distroless_debug`);
    expect(installed).toBe(`${krewRoot}/store/distroless-debug/v${VERSION}/kubectl-distroless_debug`);
    expect(formatOf(readFileSync(installed))).toEqual(expectedFormat(linux));

    const version = await run(`${pathBin}/kubectl`, ['distroless-debug', '--version'], { env: { PATH: noNodePath } });
    expect(version).toEqual({ code: 0, stdout: `kubectl-distroless_debug v${VERSION}\n`, stderr: '' });

    const session = await run(`${pathBin}/kubectl`, ['distroless-debug', '-n', 'demo', 'deploy/app', '--', 'cat', 'etc/app-variant'], {
      env: { PATH: noNodePath },
    });
    expect(session.stdout).toBe('nonroot\n');
    expect(session.code).toBe(0);
    // Progress only: no Node warnings (SEA, optional modules, deprecations).
    expect(session.stderr).not.toMatch(/warning|\(node:\d+\)/i);
  });

  it('completes through kubectl with the link the caveats describe, and with the archived script', async () => {
    const caveatLink = readManifest(releaseManifest).spec.caveats.split('\n').find((l) => l.trim().startsWith('ln -s'));
    expect(caveatLink).toBeDefined();
    ok(await run('/bin/sh', ['-c', caveatLink as string], { env: { KREW_ROOT: krewRoot } }), caveatLink as string);

    const complete = (args: string[], pathVar = noNodePath) => run(`${pathBin}/kubectl`, ['__complete', 'distroless-debug', ...args], { env: { PATH: pathVar } });
    expect((await complete(['-n', 'demo', 'deploy/a'])).stdout).toBe('deploy/app\n:4\n');
    const all = (await complete(['-n', 'demo', ''])).stdout.split('\n');
    expect(all).toEqual(expect.arrayContaining([expect.stringMatching(/^app-[a-z0-9]+-[a-z0-9]+$/), expect.stringMatching(/^deploy\/\t/), ':4']));
    expect((await complete(['--context', 'view'])).stdout).toBe('viewer\n:4\n');

    // The script in the archive, run from the plugin's directory, and a copy of it elsewhere on PATH.
    const store = `${krewRoot}/store/distroless-debug/v${VERSION}`;
    const script = await run(`${store}/kubectl_complete-distroless_debug`, ['--context', 'adm'], { env: { PATH: noNodePath } });
    expect(script).toEqual({ code: 0, stdout: 'admin\n:4\n', stderr: '' });
    rmSync(`${krewRoot}/bin/kubectl_complete-distroless_debug`);
    const elsewhere = `${tmp}/elsewhere`;
    mkdirSync(elsewhere);
    copyFileSync(`${store}/kubectl_complete-distroless_debug`, `${elsewhere}/kubectl_complete-distroless_debug`);
    expect((await complete(['-n', 'demo', 'deploy/a'], `${noNodePath}:${elsewhere}`)).stdout).toBe('deploy/app\n:4\n');
  });

  it.each(PLATFORMS)("ships a $os/$arch single executable in the platform's format", async (p) => {
    const dir = `${tmp}/extract-${p.os}-${p.arch}`;
    mkdirSync(dir);
    const archive = `${RELEASE}/${archiveOf(p)}`;
    if (p.os === 'windows') ok(await run('unzip', ['-q', archive, '-d', dir]), 'unzip');
    else ok(await run('tar', ['-xzf', archive, '-C', dir]), 'tar');
    expect(readdirSync(dir).sort()).toEqual([exeOf(p), completionOf(p), 'LICENSE', 'THIRD_PARTY_LICENSES'].sort());
    expect(readFileSync(`${dir}/LICENSE`, 'utf8')).toBe(readFileSync(`${REPO}/LICENSE`, 'utf8'));
    expect(readFileSync(`${dir}/THIRD_PARTY_LICENSES`, 'utf8')).toMatch(/^Node\.js[^]*\nws \d/m);

    const exe = readFileSync(`${dir}/${exeOf(p)}`);
    expect(formatOf(exe)).toEqual(expectedFormat(p));
    // postject flipped Node's SEA fuse and the blob (the bundled plugin) is inside.
    expect(exe.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1')).toBe(true);
    expect(exe.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:0')).toBe(false);
    // The blob made once by linux-x64 Node: with the trained V8 code cache for linux/amd64
    // (the platform that made it), the portable one everywhere else.
    const blob = readFileSync(`${RELEASE}/build/${p.os === 'linux' && p.arch === 'amd64' ? 'sea-host.blob' : 'sea.blob'}`);
    expect(exe.includes(blob)).toBe(true);
    if (p.os === 'darwin') {
      // Where Node looks for it on macOS (a blob elsewhere makes the binary crash at start), and a valid ad hoc signature.
      const section = machoSection(exe, 'NODE_SEA', '__NODE_SEA_BLOB');
      expect(section && exe.subarray(section.offset, section.offset + section.size).equals(blob)).toBe(true);
      expect(checkAdhocSignature(exe).identifier).toBe('kubectl-distroless_debug');
    }
    if (p.os === 'windows') {
      // Unsigned, rather than carrying Node's invalidated signature: no certificate table.
      const pe = exe.readUInt32LE(0x3c);
      expect(exe.readBigUInt64LE(pe + 24 + 112 + 4 * 8)).toBe(0n);
      expect(readFileSync(`${dir}/${completionOf(p)}`, 'latin1')).toMatch(/^@echo off\r\n(?:[^\n]*\r\n)+$/);
    } else {
      expect(statSync(`${dir}/${exeOf(p)}`).mode & 0o111).toBe(0o111);
      expect(statSync(`${dir}/${completionOf(p)}`).mode & 0o111).toBe(0o111);
    }
    if (p.os === 'linux' && p.arch === 'arm64' && existsSync('/usr/bin/qemu-aarch64') && existsSync('/lib/ld-linux-aarch64.so.1')) {
      // Optional: the arm64 executable really runs (qemu-user and libc6:arm64 installed).
      expect(await run('/usr/bin/qemu-aarch64', ['-L', '/', `${dir}/${exeOf(p)}`, '--version'])).toEqual({
        code: 0,
        stdout: `kubectl-distroless_debug v${VERSION}\n`,
        stderr: '',
      });
    }
  });

  it('builds linux/amd64 byte for byte again, its trained code cache included, and that cache is in the host blob only', async () => {
    const archive = `${RELEASE}/kubectl-distroless-debug_v${VERSION}_linux_amd64.tar.gz`;
    const first = sha256(readFileSync(archive));
    const cache = readFileSync(`${RELEASE}/build/bundle.cache`);
    expect(cache.length).toBeGreaterThan(100_000);
    expect(readFileSync(`${RELEASE}/build/sea-host.blob`).includes(cache)).toBe(true);
    expect(readFileSync(`${RELEASE}/build/sea.blob`).includes(cache.subarray(0, 4096))).toBe(false);
    ok(await run(`${REPO}/scripts/release`, ['--platform', 'linux/amd64', '--force'], { timeoutMs: 600_000 }), 'scripts/release --force');
    expect(sha256(readFileSync(archive))).toBe(first);
    expect(readFileSync(`${RELEASE}/build/bundle.cache`).equals(cache)).toBe(true);
  }, 700_000);
});
