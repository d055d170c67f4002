/**
 * The image config's `User`, read from the registry by digest: the identity
 * source after the runtime's report and the securityContext (design.md,
 * "Who the target runs as"). Best effort: it never throws, and every outcome
 * is one log line.
 */
import { createHash } from 'node:crypto';
import { parseImageUser, type ImageUser } from '../plan/identity.js';
import { RegistryClient, RegistryLookupError } from './client.js';
import { findCredentials, type DockerConfigSource } from './credentials.js';
import { formatReference, parseDigest, parseImageID, parseImageReference, type ImageReference } from './reference.js';

export interface ImageUserInput {
  /** status.containerStatuses[].imageID, e.g. "127.0.0.1:5000/fixtures/app@sha256:…", "docker.io/library/busybox@sha256:…", or "sha256:…" */
  imageID: string;
  /** spec image, e.g. "nginx:1.27" — used for the repository when imageID lacks one */
  image: string;
  /** Docker config JSON texts to take credentials from: the user's ~/.docker/config.json and readable pull secrets */
  dockerConfigs?: Array<string | DockerConfigSource>;
  /**
   * Called before credentials are first sent to a host, with the sources
   * (e.g. 'pull secret "regcred"') of the credentials that may be tried there.
   */
  onCredentialSend?: (host: string, sources: string[]) => void;
  /** node architecture to pick from an index (default 'amd64'); "arm/v7" also selects the variant */
  arch?: string;
  /** whole lookup budget, default 3000 */
  timeoutMs?: number;
  log?: (line: string) => void;
  /** Sees the whole image config once read (--copy-to takes ENTRYPOINT and CMD from it). */
  onConfig?: (config: Record<string, unknown>) => void;
}

export type { ImageUser };

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

const ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerList, MEDIA_TYPES.dockerManifest].join(', ');
const MAX_MANIFEST_BYTES = 4 << 20;
const MAX_CONFIG_BYTES = 8 << 20;

export interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

/**
 * The manifest for linux/<arch>[/<variant>] in an index: exact variant first,
 * then any variant of the architecture, then the first linux entry.
 */
export function chooseManifest(manifests: readonly Descriptor[], arch: string): Descriptor | undefined {
  const [wantArch, wantVariant] = arch.split('/');
  const linux = manifests.filter((m) => m.platform?.os === 'linux' && typeof m.digest === 'string');
  return (
    (wantVariant ? linux.find((m) => m.platform?.architecture === wantArch && m.platform?.variant === wantVariant) : undefined) ??
    linux.find((m) => m.platform?.architecture === wantArch) ??
    linux[0]
  );
}

/** Throws unless `body` hashes to `digest`. */
export function verifyDigest(body: Buffer, digest: string, what: string): void {
  const d = parseDigest(digest);
  if (!d) throw new RegistryLookupError(`unsupported ${what} digest ${digest}`);
  const actual = createHash(d.algorithm).update(body).digest('hex');
  if (actual !== d.hex) throw new RegistryLookupError(`the ${what} does not match its digest ${short(digest)} (got ${d.algorithm}:${actual.slice(0, 12)}…)`);
}

function short(digest: string): string {
  const [alg, hex] = digest.split(':');
  return `${alg}:${(hex ?? '').slice(0, 12)}`;
}

interface Target {
  ref: ImageReference;
  digest: string;
  /** The digest came bare from imageID: containerd's image ID is the config digest, not a manifest's. */
  bare: boolean;
}

/** Which repository and digest to read; throws with the reason when neither field gives one. */
function chooseTarget(imageID: string, image: string): Target {
  const fromID = imageID.trim() === '' ? undefined : parseImageID(imageID);
  if (fromID && 'reference' in fromID && fromID.reference.digest) {
    return { ref: fromID.reference, digest: fromID.reference.digest, bare: false };
  }
  const spec = parseImageReference(image);
  if (spec?.digest && parseDigest(spec.digest)) return { ref: spec, digest: spec.digest, bare: false };
  if (fromID && 'bareDigest' in fromID) {
    if (!spec) throw new RegistryLookupError(`imageID ${imageID} has no repository and image "${image}" is not a valid reference`);
    return { ref: { ...spec, digest: fromID.bareDigest }, digest: fromID.bareDigest, bare: true };
  }
  if (imageID.trim() === '') throw new RegistryLookupError(`no imageID yet and image "${image}" has no digest`);
  throw new RegistryLookupError(`imageID "${imageID}" is not a repository digest`);
}

function refusal(client: RegistryClient, status: number, what: string, digest: string): RegistryLookupError {
  if (status === 401 || status === 403) return new RegistryLookupError(client.describeRefusal(status));
  if (status === 404) return new RegistryLookupError(`${client.ref.apiHost} has no ${what} ${short(digest)} in ${client.ref.repository}`);
  return new RegistryLookupError(`${client.ref.apiHost} answered HTTP ${status} for the ${what} ${short(digest)}`);
}

function parseJSON(body: Buffer, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new RegistryLookupError(`the ${what} is not JSON`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RegistryLookupError(`the ${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

async function fetchBlob(client: RegistryClient, digest: string, what: string): Promise<Record<string, unknown>> {
  const res = await client.get(`/v2/${client.ref.repository}/blobs/${digest}`, {}, MAX_CONFIG_BYTES);
  if (res.status !== 200) throw refusal(client, res.status, what, digest);
  verifyDigest(res.body, digest, what);
  return parseJSON(res.body, what);
}

/** Manifest (or index, then the platform's manifest) -> config blob. */
async function fetchConfig(client: RegistryClient, target: Target, arch: string): Promise<Record<string, unknown>> {
  const repo = client.ref.repository;
  let digest = target.digest;
  let body: Record<string, unknown> | undefined;
  let contentType = '';
  if (target.bare) {
    // A bare image ID is, with containerd and CRI-O, the config digest; a
    // registry may also serve a manifest under /blobs, handled below.
    const res = await client.get(`/v2/${repo}/blobs/${digest}`, {}, MAX_CONFIG_BYTES);
    if (res.status === 401 || res.status === 403) throw refusal(client, res.status, 'image config', digest);
    if (res.status === 200) {
      verifyDigest(res.body, digest, 'blob');
      const blob = parseJSON(res.body, 'blob');
      if (blob.schemaVersion === undefined) return blob;
      body = blob;
    }
  }
  for (let depth = 0; depth < 3; depth++) {
    const what = depth === 0 ? 'manifest' : `linux/${arch} manifest`;
    if (!body) {
      const res = await client.get(`/v2/${repo}/manifests/${digest}`, { Accept: ACCEPT }, MAX_MANIFEST_BYTES);
      if (res.status !== 200) throw refusal(client, res.status, what, digest);
      const parsed = parseJSON(res.body, what);
      if (parsed.schemaVersion === 1) throw new RegistryLookupError(`the ${what} is Docker schema 1, which is not supported`);
      verifyDigest(res.body, digest, what);
      body = parsed;
      contentType = String(res.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    }
    const mediaType = typeof body.mediaType === 'string' ? body.mediaType : contentType;
    if (Array.isArray(body.manifests) || mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerList) {
      const manifests = (Array.isArray(body.manifests) ? body.manifests : []) as Descriptor[];
      const chosen = chooseManifest(manifests, arch);
      if (!chosen?.digest) throw new RegistryLookupError(`the index ${short(digest)} has no linux image`);
      digest = chosen.digest;
      body = undefined;
      continue;
    }
    const config = body.config as Descriptor | undefined;
    if (!config || typeof config.digest !== 'string') throw new RegistryLookupError(`the ${what} has no config descriptor`);
    return fetchBlob(client, config.digest, 'image config');
  }
  throw new RegistryLookupError('image indexes nested too deep');
}

/**
 * Where else the same content may be read: the spec image's repository, by the
 * digest the runtime reported. The runtime's imageID names one of the image's
 * repository digests, which need not be the registry the pod pulled from (the
 * same image pulled from another registry or mirror before: containerd keeps
 * one record with both names). The digest pins the content, so reading it from
 * the spec's repository (where the pod's credentials apply) is as good.
 */
function alternativeTarget(primary: Target, image: string): Target | undefined {
  if (primary.bare) return undefined;
  const spec = parseImageReference(image);
  if (!spec || (spec.registry === primary.ref.registry && spec.repository === primary.ref.repository)) return undefined;
  return { ref: { registry: spec.registry, apiHost: spec.apiHost, repository: spec.repository, digest: primary.digest }, digest: primary.digest, bare: false };
}

function describeTarget(target: Target): string {
  return target.bare ? `${formatReference({ ...target.ref, tag: undefined, digest: undefined })} (image ID ${target.digest})` : formatReference({ ...target.ref, digest: target.digest });
}

/**
 * The image config's User as numbers, or undefined (with the reason logged)
 * when it cannot be read or is a name. Empty User means root.
 */
export async function fetchImageUser(input: ImageUserInput): Promise<ImageUser | undefined> {
  const log = (line: string): void => {
    try {
      input.log?.(line);
    } catch {
      // a failing logger must not turn a best-effort lookup into an error
    }
  };
  const budget = input.timeoutMs ?? 3000;
  const arch = input.arch || 'amd64';
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), budget);
  timer.unref();
  let subject = input.imageID || input.image;
  try {
    let targets: Target[];
    try {
      const primary = chooseTarget(input.imageID, input.image);
      const alternative = alternativeTarget(primary, input.image);
      targets = alternative ? [primary, alternative] : [primary];
    } catch (err) {
      log(`image user of ${subject}: unknown, ${reasonOf(err, controller.signal, budget)}`);
      return undefined;
    }
    for (const [i, target] of targets.entries()) {
      subject = describeTarget(target);
      const last = i === targets.length - 1;
      try {
        return await readUser(input, target, arch, controller.signal, subject, log);
      } catch (err) {
        const reason = reasonOf(err, controller.signal, budget);
        const next = targets[i + 1];
        log(`image user of ${subject}: unknown, ${reason}${last || controller.signal.aborted || !next ? '' : `; trying the pod's image repository ${next.ref.registry}/${next.ref.repository}`}`);
        if (controller.signal.aborted) return undefined;
      }
    }
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

function reasonOf(err: unknown, signal: AbortSignal, budget: number): string {
  return signal.aborted
    ? `no answer within ${budget} ms`
    : err instanceof RegistryLookupError
      ? err.message
      : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
}

/** One repository: credentials, manifest, config, User. Throws the reason it could not. */
async function readUser(input: ImageUserInput, target: Target, arch: string, signal: AbortSignal, subject: string, log: (line: string) => void): Promise<ImageUser | undefined> {
  const credentials = findCredentials(target.ref.registry, input.dockerConfigs);
  const sources = [...new Set(credentials.flatMap((c) => (c.source === undefined ? [] : [c.source])))];
  const client = new RegistryClient(target.ref, credentials, signal, (host) => {
    try {
      input.onCredentialSend?.(host, sources);
    } catch {
      // telling the user must not break the lookup
    }
  });
  try {
    const config = await fetchConfig(client, target, arch);
    input.onConfig?.(config);
    const inner = config.config;
    const rawUser = inner && typeof inner === 'object' ? (inner as { User?: unknown }).User : undefined;
    if (rawUser !== undefined && typeof rawUser !== 'string') throw new RegistryLookupError('the image config User is not a string');
    const user = parseImageUser(rawUser);
    if (!user) {
      log(`image user of ${subject}: "${rawUser}" is a name, not a number; it can only be resolved inside the image`);
      return undefined;
    }
    // A bare UID takes its group from the image's passwd, or 0 without an entry: for root that is 0 either way.
    const result: ImageUser = user.uid === 0 && user.gid === undefined ? { uid: 0, gid: 0 } : user;
    log(`image user of ${subject}: ${rawUser ? `"${rawUser}"` : 'unset (root)'} -> uid ${result.uid} gid ${result.gid ?? 'from the image passwd (unknown)'}`);
    return result;
  } finally {
    client.close();
  }
}
