/**
 * Registry credentials from Docker config JSON (pure): ~/.docker/config.json and
 * pull secrets (`.dockerconfigjson`, or the older `.dockercfg` map).
 */
import { isDockerHub } from './reference.js';

export interface RegistryCredential {
  /** The config key that matched, for log lines (never the secret). */
  key: string;
  /** Where it came from, for what the user is told, e.g. 'pull secret "regcred"' (never the secret). */
  source?: string;
  username?: string;
  password?: string;
  /** OAuth2 refresh token (`identitytoken`), exchanged at the token realm. */
  identityToken?: string;
  /** A bearer token for the registry itself (`registrytoken`). */
  registryToken?: string;
}

interface RawEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
  registrytoken?: unknown;
}

/**
 * A config key as a comparable host: scheme, path and case dropped.
 * "https://index.docker.io/v1/" -> "index.docker.io", "http://127.0.0.1:5000" -> "127.0.0.1:5000".
 */
export function normalizeConfigKey(key: string): string {
  let k = key.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  const slash = k.indexOf('/');
  if (slash >= 0) k = k.slice(0, slash);
  return k;
}

/** Does a config key name this registry (host[:port], "docker.io" for Docker Hub)? */
export function configKeyMatches(key: string, registry: string): boolean {
  const k = normalizeConfigKey(key);
  const r = registry.toLowerCase();
  if (k === '') return false;
  if (isDockerHub(r)) return isDockerHub(k);
  if (k === r) return true;
  // "*.example.com" (the kubelet accepts globs in the first labels); ports must agree.
  if (k.includes('*')) {
    const [kHost, kPort] = splitPort(k);
    const [rHost, rPort] = splitPort(r);
    if (kPort !== rPort) return false;
    const kLabels = kHost.split('.');
    const rLabels = rHost.split('.');
    if (kLabels.length !== rLabels.length) return false;
    return kLabels.every((l, i) => globLabel(l, rLabels[i] ?? ''));
  }
  return false;
}

function splitPort(host: string): [string, string] {
  const m = /^(.*?)(?::(\d+))?$/.exec(host);
  return [m?.[1] ?? host, m?.[2] ?? ''];
}

function globLabel(pattern: string, label: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`);
  return re.test(label);
}

function entryToCredential(key: string, raw: RawEntry): RegistryCredential | undefined {
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const cred: RegistryCredential = { key };
  const auth = str(raw.auth);
  if (auth) {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      cred.username = decoded.slice(0, colon);
      cred.password = decoded.slice(colon + 1);
    }
  }
  if (cred.username === undefined && str(raw.username) !== undefined) {
    cred.username = str(raw.username);
    cred.password = typeof raw.password === 'string' ? raw.password : '';
  }
  const identityToken = str(raw.identitytoken);
  if (identityToken) cred.identityToken = identityToken;
  const registryToken = str(raw.registrytoken);
  if (registryToken) cred.registryToken = registryToken;
  return cred.username !== undefined || cred.identityToken || cred.registryToken ? cred : undefined;
}

function entriesOf(text: string): Array<[string, RawEntry]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return [];
  const obj = parsed as Record<string, unknown>;
  // config.json / .dockerconfigjson have "auths"; the legacy .dockercfg is the map itself.
  const auths = 'auths' in obj ? obj.auths : obj;
  if (!auths || typeof auths !== 'object' || Array.isArray(auths)) return [];
  return Object.entries(auths as Record<string, unknown>).filter((e): e is [string, RawEntry] => !!e[1] && typeof e[1] === 'object');
}

/** A Docker config JSON text and where it came from (a pull secret, the user's config). */
export interface DockerConfigSource {
  text: string;
  source?: string;
}

/**
 * Every credential for the registry in the given configs, in order (configs in
 * the order given; within one config exact keys before globs). Unparseable
 * texts and entries are skipped. Credential helpers (`credsStore`,
 * `credHelpers`) are not run.
 */
export function findCredentials(registry: string, dockerConfigs: readonly (string | DockerConfigSource)[] | undefined): RegistryCredential[] {
  const out: RegistryCredential[] = [];
  const seen = new Set<string>();
  for (const config of dockerConfigs ?? []) {
    const { text, source } = typeof config === 'string' ? { text: config, source: undefined } : config;
    const matching = entriesOf(text).filter(([key]) => configKeyMatches(key, registry));
    matching.sort(([a], [b]) => Number(a.includes('*')) - Number(b.includes('*')));
    for (const [key, raw] of matching) {
      const cred = entryToCredential(key, raw);
      if (!cred) continue;
      if (source !== undefined) cred.source = source;
      const id = JSON.stringify([cred.username, cred.password, cred.identityToken, cred.registryToken]);
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(cred);
    }
  }
  return out;
}
