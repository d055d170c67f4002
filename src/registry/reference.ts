/**
 * Image references, the way Docker and containerd read them (pure).
 *
 *   busybox                          -> docker.io/library/busybox:latest (tag implied, not set here)
 *   127.0.0.1:5000/fixtures/app:nonroot
 *   ghcr.io/org/app@sha256:<64 hex>
 *   localhost/app, [::1]:5000/app
 */

/** Docker Hub as written in references. */
export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's registry API actually answers. */
export const DOCKER_HUB_API = 'registry-1.docker.io';
/** Names that all mean Docker Hub (credential keys use any of them). */
export const DOCKER_HUB_ALIASES: readonly string[] = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

export interface ImageReference {
  /** Registry as named: "docker.io" for Docker Hub (also for index.docker.io), else host[:port], lower case. */
  registry: string;
  /** host[:port] that serves the registry API (registry-1.docker.io for Docker Hub). */
  apiHost: string;
  /** e.g. "library/busybox", "fixtures/app". */
  repository: string;
  tag?: string;
  /** e.g. "sha256:<64 hex>". */
  digest?: string;
}

export interface Digest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

const HEX_LENGTH = { sha256: 64, sha512: 128 } as const;

/** A content digest we can verify ("sha256:<64 hex>" or "sha512:<128 hex>"), else undefined. */
export function parseDigest(value: string): Digest | undefined {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(value);
  if (!m) return undefined;
  const algorithm = m[1] as Digest['algorithm'];
  const hex = m[2] ?? '';
  return hex.length === HEX_LENGTH[algorithm] ? { algorithm, hex } : undefined;
}

// distribution/reference grammar.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DOMAIN_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[0-9a-fA-F:.]+\]$/;

function validHost(host: string): boolean {
  let name = host;
  let port: string | undefined;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return false;
    name = host.slice(0, end + 1);
    const rest = host.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return false;
      port = rest.slice(1);
    }
    if (!IPV6.test(name)) return false;
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) {
      name = host.slice(0, colon);
      port = host.slice(colon + 1);
    }
    if (name === '' || !name.split('.').every((l) => DOMAIN_LABEL.test(l))) return false;
  }
  return port === undefined || (/^\d{1,5}$/.test(port) && Number(port) <= 65535);
}

/**
 * The first path component names a registry when it contains "." or ":", is
 * "localhost", or has upper case letters (Docker's rule); otherwise the image is
 * on Docker Hub.
 */
export function isRegistryHost(component: string): boolean {
  return /[.:]/.test(component) || component === 'localhost' || component !== component.toLowerCase() || component.startsWith('[');
}

/** The host that serves the API for a registry name. */
export function apiHostFor(registry: string): string {
  const r = registry.toLowerCase();
  return r === DOCKER_HUB || r === 'index.docker.io' ? DOCKER_HUB_API : r;
}

export function isDockerHub(registry: string): boolean {
  return DOCKER_HUB_ALIASES.includes(registry.toLowerCase());
}

/** Parses an image reference; undefined when it is not one. */
export function parseImageReference(input: string): ImageReference | undefined {
  const ref = input.trim();
  if (ref === '' || /\s/.test(ref)) return undefined;

  let name = ref;
  let digest: string | undefined;
  const at = ref.indexOf('@');
  if (at >= 0) {
    name = ref.slice(0, at);
    digest = ref.slice(at + 1);
    if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) return undefined;
  }

  let tag: string | undefined;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  if (colon >= 0) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  if (name === '') return undefined;

  let registry = DOCKER_HUB;
  let path = name;
  const slash = name.indexOf('/');
  if (slash >= 0 && isRegistryHost(name.slice(0, slash))) {
    const host = name.slice(0, slash);
    if (!validHost(host)) return undefined;
    registry = host.toLowerCase();
    path = name.slice(slash + 1);
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (isDockerHub(registry) && !path.includes('/')) path = `library/${path}`;
  if (!path.split('/').every((c) => PATH_COMPONENT.test(c))) return undefined;
  if (registry.length + 1 + path.length > 255) return undefined;

  const out: ImageReference = { registry, apiHost: apiHostFor(registry), repository: path };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/**
 * Why a string is not an image reference the kubelet would pull, in a few
 * words for a one-line message; undefined when it is one. Stricter than
 * parseImageReference on digests: the kubelet refuses a digest whose hex has
 * the wrong length.
 */
export function imageReferenceProblem(input: string): string | undefined {
  if (input.trim() === '') return 'it is empty';
  if (/\s/.test(input)) return 'it contains white space';
  const ref = parseImageReference(input);
  const at = input.indexOf('@');
  const name = at >= 0 ? input.slice(0, at) : input;
  if (at >= 0) {
    const digest = input.slice(at + 1);
    const algorithm = /^([a-z0-9]+):/.exec(digest)?.[1];
    if ((algorithm === 'sha256' || algorithm === 'sha512') && !parseDigest(digest)) {
      return `the digest after "@" must be ${algorithm}: and ${HEX_LENGTH[algorithm]} lower-case hex digits`;
    }
    if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/.test(digest)) return 'the digest after "@" is not ALGORITHM:HEX';
  }
  if (ref) return undefined;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  if (colon >= 0 && !TAG.test(name.slice(colon + 1))) {
    return 'the tag after ":" must be 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"';
  }
  const path = colon >= 0 ? name.slice(0, colon) : name;
  const first = path.split('/')[0] ?? '';
  const repo = path.includes('/') && isRegistryHost(first) ? path.slice(first.length + 1) : path;
  if (repo !== repo.toLowerCase()) return 'the repository name must be lower case';
  return 'expected [REGISTRY/]REPOSITORY[:TAG][@DIGEST]';
}

/** "registry/repository@digest" (or ":tag"), for log lines. */
export function formatReference(ref: ImageReference): string {
  const base = `${ref.registry}/${ref.repository}`;
  if (ref.digest) return `${base}@${ref.digest}`;
  return ref.tag ? `${base}:${ref.tag}` : base;
}

/** 127.0.0.0/8, localhost, ::1, with or without a port: registries containerd treats as insecure. */
export function isLoopbackHost(host: string): boolean {
  let name = host.toLowerCase();
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    if (end < 0) return false;
    name = name.slice(1, end);
  }
  if (name === '::1' || /^(?:0{1,4}:){7}0{0,3}1$/.test(name)) return true;
  name = name.replace(/:\d+$/, '');
  if (name === 'localhost') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

/**
 * What the kubelet reports in `containerStatuses[].imageID`: "repo@digest"
 * (containerd, CRI-O), "docker-pullable://repo@digest" (cri-dockerd), or a bare
 * "sha256:…" image ID (no repository digest known, e.g. an imported image).
 */
export function parseImageID(imageID: string): { reference: ImageReference } | { bareDigest: string } | undefined {
  const id = imageID.trim().replace(/^docker-pullable:\/\//, '').replace(/^docker:\/\//, '');
  if (parseDigest(id)) return { bareDigest: id };
  const reference = parseImageReference(id);
  if (!reference?.digest || !parseDigest(reference.digest)) return undefined;
  return { reference };
}
