// scripts/release: self-contained executables (Node single executable
// applications) for every platform, their archives with sha256 sums, and
// krew-manifest.yaml. Usage in scripts/release; how it works in docs/release.md.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { bundle, thirdPartyLicenses } from './bundle.mjs';
import { BUNDLE_ASSET, CACHE_ASSET, entrySource, trainCodeCache } from './code-cache.mjs';
import {
  ARCHIVE_MTIME,
  BIN_NAME,
  COMPLETE_NAME,
  NODE_VERSION,
  PLATFORMS,
  SEA_FUSE,
  SEA_MACHO_SEGMENT,
  SEA_RESOURCE,
  archiveName,
  platformId,
} from './config.mjs';
import { renderManifest } from './manifest.mjs';
import { nodeBinary, nodeLicenseFile, rcodesign, requireTool, run } from './tools.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const RELEASE = path.join(ROOT, 'release');
const BUILD = path.join(RELEASE, 'build');
const INFO = path.join(RELEASE, 'build-info.json');
const MANIFEST = path.join(ROOT, 'krew-manifest.yaml');

const USAGE = `usage:
  scripts/release [--platform OS/ARCH]... [--force] [--manifest FILE]
      build the executables, archives (+ .sha256) into release/ and, when every
      platform is built, krew-manifest.yaml (or FILE); fresh outputs are reused
  scripts/release manifest [--url-template URL] [--out FILE]
      write a manifest for the archives in release/ (default: krew-manifest.yaml
      with the release URLs; {version} and {archive} are replaced in URL)
  scripts/release check
      exit 1 unless krew-manifest.yaml matches package.json's version and release/
platforms: ${PLATFORMS.map(platformId).join(', ')}
`;

const started = performance.now();
const log = (s) => process.stderr.write(`release: ${s} (${((performance.now() - started) / 1000).toFixed(1)}s)\n`);

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
async function sha256File(file) {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk);
  return h.digest('hex');
}

const version = () => JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
const readInfo = () => (existsSync(INFO) ? JSON.parse(readFileSync(INFO, 'utf8')) : { archives: {} });

/** Runs `task` over `items`, at most `limit` at a time. */
async function pool(items, limit, task) {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    while (queue.length > 0) await task(queue.shift());
  });
  await Promise.all(workers);
}

/** The Node that makes the blob: the same version as every embedded one, runnable here. */
function hostPlatform() {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
  const p = PLATFORMS.find((x) => x.os === 'linux' && x.arch === arch);
  if (process.platform !== 'linux' || !p) throw new Error(`scripts/release runs on linux/amd64 or linux/arm64, not ${process.platform}/${process.arch}`);
  return p;
}

/**
 * How to run a platform's executable here: directly on the host platform,
 * through qemu-user for linux/arm64 when installed (apt-get install qemu-user
 * libc6:arm64 libstdc++6:arm64 after dpkg --add-architecture arm64), else not at all.
 */
function launcher(platform) {
  if (platform === hostPlatform()) return [];
  if (platform.os === 'linux' && platform.arch === 'arm64' && existsSync('/lib/ld-linux-aarch64.so.1')) {
    try {
      return [requireTool('qemu-aarch64', 'qemu-user'), '-L', '/'];
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Checks that the executable starts and prints nothing but its version, and that completion answers. */
async function smokeTest(exe, v, prefix) {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dd-release-smoke-'));
  try {
    const versionOut = await runSplit(prefix, exe, ['--version'], {});
    if (versionOut.stdout !== `${BIN_NAME} v${v}\n` || versionOut.stderr !== '') {
      throw new Error(`${exe} --version printed ${JSON.stringify(versionOut)}`);
    }
    const kubeconfig = path.join(tmp, 'kubeconfig');
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\ncontexts:\n- name: smoke-test\n  context: {cluster: c, user: u}\n');
    const link = path.join(tmp, COMPLETE_NAME);
    symlinkSync(exe, link);
    for (const [file, args] of [
      [exe, ['__complete', '--context', 'smoke']],
      [link, ['--context', 'smoke']],
    ]) {
      const r = await runSplit(prefix, file, args, { KUBECONFIG: kubeconfig });
      if (r.stdout !== 'smoke-test\n:4\n' || r.stderr !== '') throw new Error(`${file} ${args.join(' ')} printed ${JSON.stringify(r)}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function runSplit(prefix, file, args, env) {
  return new Promise((resolve, reject) => {
    const [cmd, ...rest] = [...prefix, file, ...args];
    const child = spawn(cmd, rest, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`${file} ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}

async function makeArchive(platform, stage, files, out) {
  for (const f of files) utimesSync(path.join(stage, f), ARCHIVE_MTIME, ARCHIVE_MTIME);
  rmSync(out, { force: true });
  if (platform.archive === 'zip') {
    // -X: no uid/gid or extra timestamps; TZ=UTC: the same DOS times everywhere.
    await run(requireTool('zip', 'zip'), ['-X', '-D', '-6', '-q', out, ...files], { cwd: stage, env: { ...process.env, TZ: 'UTC' } });
  } else {
    const tar = `${out}.tar`;
    await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${ARCHIVE_MTIME}`, '--format=gnu', '-cf', tar, '-C', stage, ...files]);
    await pipeline(createReadStream(tar), createGzip({ level: 6 }), createWriteStream(out));
    rmSync(tar);
  }
}

/**
 * Node's Authenticode signature no longer matches after injection, and postject
 * leaves the PE's certificate table pointing into the rebuilt resources: drop
 * the entry (what `signtool remove /s` does), so the file is plainly unsigned.
 */
function clearCertificateTable(file) {
  const b = readFileSync(file);
  const pe = b.readUInt32LE(0x3c);
  if (b.readUInt32BE(pe) !== 0x50450000 || b.readUInt16LE(pe + 24) !== 0x20b) throw new Error(`${file} is not a PE32+ file`);
  const entry = pe + 24 + 112 + 4 * 8; // optional header data directories, IMAGE_DIRECTORY_ENTRY_SECURITY
  b.fill(0, entry, entry + 8);
  writeFileSync(file, b);
}

async function buildPlatform({ platform, blob, licenses, v, signer }) {
  const id = platformId(platform);
  const dir = path.join(BUILD, `${platform.os}-${platform.arch}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const binName = `${BIN_NAME}${platform.exe}`;
  const exe = path.join(dir, binName);
  copyFileSync(await nodeBinary(platform, log), exe);
  chmodSync(exe, 0o755);
  if (platform.os === 'linux') {
    // Node's Linux binaries carry 17 MB of debug info (dynamic symbols stay). Only before injection: stripping a SEA breaks it.
    await run(requireTool('llvm-strip', 'llvm'), [exe]);
  }
  const args = [path.join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js'), exe, SEA_RESOURCE, blob, '--sentinel-fuse', SEA_FUSE];
  if (platform.macho) args.push('--macho-segment-name', SEA_MACHO_SEGMENT);
  await run(process.execPath, args);
  if (platform.os === 'windows') clearCertificateTable(exe);
  if (platform.macho) {
    // postject drops Node's signature; macOS kills unsigned arm64 code: sign ad hoc, as
    // `codesign --sign -` does (identifier = file name, no hardened runtime, no entitlements).
    // (`rcodesign verify` cannot check ad hoc signatures; test/e2e/krew.test.ts checks the page hashes.)
    await run(signer, ['sign', exe]);
  }
  const prefix = launcher(platform);
  if (prefix) await smokeTest(exe, v, prefix);
  log(`${id}: executable ready${prefix ? ` (ran it${prefix.length > 0 ? ' under qemu' : ''}: --version and completion work)` : ''}`);

  const completion = platform.os === 'windows' ? `${COMPLETE_NAME}.cmd` : COMPLETE_NAME;
  copyFileSync(path.join(HERE, platform.os === 'windows' ? `${COMPLETE_NAME}.cmd` : `${COMPLETE_NAME}.sh`), path.join(dir, completion));
  chmodSync(path.join(dir, completion), 0o755);
  copyFileSync(path.join(ROOT, 'LICENSE'), path.join(dir, 'LICENSE'));
  writeFileSync(path.join(dir, 'THIRD_PARTY_LICENSES'), licenses);
  const name = archiveName(v, platform);
  const out = path.join(RELEASE, name);
  await makeArchive(platform, dir, [binName, completion, 'LICENSE', 'THIRD_PARTY_LICENSES'], out);
  const sum = await sha256File(out);
  writeFileSync(`${out}.sha256`, `${sum}  ${name}\n`);
  rmSync(exe); // the archive has it; keeps release/ from holding every binary twice
  log(`${id}: ${name} sha256 ${sum}`);
  return { archive: name, sha256: sum };
}

async function build({ platforms, force, manifest }) {
  const v = version();
  mkdirSync(BUILD, { recursive: true });
  log('compiling TypeScript (tsc -p tsconfig.build.json)');
  await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
  log('bundling dist/ with esbuild');
  const bundled = await bundle({ root: ROOT, outDir: BUILD, version: v });
  const bundleText = readFileSync(bundled.file);
  log(`bundle: ${(bundleText.length / 1024 / 1024).toFixed(2)} MB, ${bundled.packages.size} npm packages`);

  // Everything an archive is made from: if this is unchanged, so is the archive.
  const inputs = sha256(
    [
      `node ${NODE_VERSION}`,
      `version ${v}`,
      bundleText,
      readFileSync(path.join(ROOT, 'LICENSE')),
      readFileSync(path.join(ROOT, 'package-lock.json')),
      readFileSync(path.join(ROOT, 'scripts', 'release')),
      ...readdirSync(HERE)
        .sort()
        .map((f) => `${f}\n${readFileSync(path.join(HERE, f), 'utf8')}`),
    ].join('\0'),
  );
  const info = readInfo();
  if (info.inputs !== inputs) info.archives = {};
  info.inputs = inputs;
  info.version = v;
  info.node = NODE_VERSION;

  const stale = [];
  for (const p of platforms) {
    const known = info.archives[platformId(p)];
    const file = known && path.join(RELEASE, known.archive);
    if (force || !known || !existsSync(file) || (await sha256File(file)) !== known.sha256) stale.push(p);
  }
  if (stale.length === 0) {
    log(`release/ is up to date for ${platforms.map(platformId).join(', ')}`);
  } else {
    const host = hostPlatform();
    const hostNode = await nodeBinary(host, log);
    await Promise.all(stale.map((p) => nodeBinary(p, log)));
    const signer = stale.some((p) => p.macho) ? await rcodesign(log) : undefined;

    // Two blobs from the same Node, both with the bundle as an asset that a
    // small entry compiles (code-cache.mjs): a portable one for every
    // platform, and one with a trained V8 code cache for the platform that
    // made it (a cache loads only in the V8 build that wrote it).
    const entry = path.join(BUILD, 'sea-main.cjs');
    writeFileSync(entry, entrySource());
    const cache = path.join(BUILD, CACHE_ASSET);
    await trainCodeCache({ root: ROOT, hostNode, bundleFile: bundled.file, out: cache, log });
    const blob = path.join(BUILD, 'sea.blob');
    const hostBlob = path.join(BUILD, 'sea-host.blob');
    for (const [output, host] of [
      [blob, false],
      [hostBlob, true],
    ]) {
      const seaConfig = path.join(BUILD, host ? 'sea-config-host.json' : 'sea-config.json');
      const assets = { [BUNDLE_ASSET]: bundled.file, ...(host ? { [CACHE_ASSET]: cache } : {}) };
      writeFileSync(
        seaConfig,
        // The entry itself is a few lines: Node's cache for it would only add string hashes seeded per run.
        JSON.stringify({ main: entry, output, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false, assets }, null, 2),
      );
      await run(hostNode, ['--experimental-sea-config', seaConfig], { cwd: BUILD });
    }
    log(`blob made by node ${NODE_VERSION} (${host.npmPackage}); building ${stale.map(platformId).join(', ')}`);
    const licenses = thirdPartyLicenses({ nodeLicense: readFileSync(nodeLicenseFile(host), 'utf8'), packages: bundled.packages });

    // postject holds a whole binary in WebAssembly memory: two at a time is plenty.
    await pool(stale, Math.max(1, Math.min(2, availableParallelism())), async (p) => {
      const own = platformId(p) === platformId(host) ? hostBlob : blob;
      info.archives[platformId(p)] = { ...(await buildPlatform({ platform: p, blob: own, licenses, v, signer })), builtAt: new Date().toISOString() };
      writeFileSync(INFO, JSON.stringify(info, null, 2) + '\n');
    });
  }
  writeFileSync(INFO, JSON.stringify(info, null, 2) + '\n');
  if (PLATFORMS.every((p) => info.archives[platformId(p)])) {
    writeManifest({ out: manifest });
  } else {
    log(`${path.relative(ROOT, manifest)} left as it is: not every platform is built (run scripts/release without --platform)`);
  }
}

function manifestText(urlTemplate) {
  const info = readInfo();
  const v = version();
  if (info.version !== v) throw new Error(`release/ holds version ${info.version ?? 'nothing'}, package.json says ${v}: run scripts/release`);
  const archives = PLATFORMS.filter((p) => info.archives[platformId(p)]).map((p) => ({ platform: p, sha256: info.archives[platformId(p)].sha256 }));
  if (archives.length === 0) throw new Error('no archives in release/: run scripts/release');
  return renderManifest({ version: v, archives, ...(urlTemplate ? { urlTemplate } : {}) });
}

function writeManifest({ out, urlTemplate }) {
  writeFileSync(out, manifestText(urlTemplate));
  const rel = path.relative(ROOT, out);
  log(`wrote ${rel.startsWith('..') ? out : rel}`);
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      platform: { type: 'string', multiple: true },
      force: { type: 'boolean' },
      'url-template': { type: 'string' },
      out: { type: 'string' },
      manifest: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0] ?? 'build';
  if (values.help || positionals.length > 1) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 64;
  }
  switch (command) {
    case 'build': {
      const wanted = values.platform ?? PLATFORMS.map(platformId);
      const unknown = wanted.filter((w) => !PLATFORMS.some((p) => platformId(p) === w));
      if (unknown.length > 0) throw new Error(`unknown platform ${unknown.join(', ')}; known: ${PLATFORMS.map(platformId).join(', ')}`);
      await build({ platforms: PLATFORMS.filter((p) => wanted.includes(platformId(p))), force: Boolean(values.force), manifest: path.resolve(values.manifest ?? MANIFEST) });
      return 0;
    }
    case 'manifest':
      writeManifest({ out: path.resolve(values.out ?? MANIFEST), urlTemplate: values['url-template'] });
      return 0;
    case 'check': {
      const want = manifestText();
      const have = existsSync(MANIFEST) ? readFileSync(MANIFEST, 'utf8') : '';
      if (want !== have) {
        process.stderr.write('krew-manifest.yaml is out of date: run scripts/release\n');
        return 1;
      }
      log('krew-manifest.yaml matches package.json and release/');
      return 0;
    }
    default:
      process.stdout.write(USAGE);
      return 64;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`release: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
