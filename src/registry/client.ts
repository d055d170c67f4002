/**
 * A minimal registry API v2 client for one repository: GETs over node:https
 * (node:http as the loopback fallback), redirects, and the Bearer/Basic auth
 * dance. Everything is bounded by one AbortSignal.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { RegistryCredential } from './credentials.js';
import { isLoopbackHost, type ImageReference } from './reference.js';

/** A failure whose message is the reason shown in the log line. */
export class RegistryLookupError extends Error {
  override readonly name = 'RegistryLookupError';
}

export interface RegistryResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The URL that answered (after redirects). */
  url: URL;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;

/**
 * Parses `WWW-Authenticate` (RFC 7235), e.g.
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`;
 * several challenges may be comma-joined. Scheme names are lower-cased.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const skip = (chars: RegExp): void => {
    while (i < header.length && chars.test(header[i] ?? '')) i++;
  };
  const token = (): string | undefined => {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(header);
    if (!m) return undefined;
    i = TOKEN.lastIndex;
    return m[0];
  };
  while (i < header.length) {
    skip(/[\s,]/);
    const word = token();
    if (word === undefined) {
      i++;
      continue;
    }
    skip(/\s/);
    if (header[i] === '=' && out.length > 0) {
      i++;
      skip(/\s/);
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < header.length && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < header.length) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        while (i < header.length && !/[\s,]/.test(header[i] ?? '')) value += header[i++];
      }
      const current = out[out.length - 1];
      if (current) current.params[word.toLowerCase()] = value;
    } else {
      out.push({ scheme: word.toLowerCase(), params: {} });
    }
  }
  return out;
}

interface SendInit {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  maxBytes: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 3;

export class RegistryClient {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  private base: URL | undefined;
  private authorization: string | undefined;
  /** The most useful thing to say when access is refused. */
  private authNote: string | undefined;

  /** Hosts already told about (see `onCredentialSend`). */
  private readonly announced = new Set<string>();

  constructor(
    readonly ref: ImageReference,
    private readonly credentials: readonly RegistryCredential[],
    private readonly signal: AbortSignal,
    /** Called once per host, before the first credential is sent there (never with the credential itself). */
    private readonly onCredentialSend?: (host: string) => void,
  ) {}

  private announce(host: string): void {
    if (this.announced.has(host)) return;
    this.announced.add(host);
    this.onCredentialSend?.(host);
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** Why the last request was refused (401/403), for the log line. */
  describeRefusal(status: number): string {
    const keys = this.credentials.map((c) => `"${c.key}"`).join(', ');
    if (status === 403) return `${this.ref.apiHost} denied access to ${this.ref.repository}${keys ? ` with docker config credentials ${keys}` : ''}`;
    if (this.authNote) return this.authNote;
    return keys
      ? `${this.ref.apiHost} rejected docker config credentials ${keys}`
      : `${this.ref.apiHost} needs credentials and no docker config has any for ${this.ref.registry}`;
  }

  /** GET a path of the registry API, authenticating on a 401 challenge. */
  async get(path: string, headers: Record<string, string>, maxBytes: number): Promise<RegistryResponse> {
    let res = await this.sendToRegistry(path, headers, maxBytes);
    if (res.status === 401 && this.authorization === undefined) {
      res = await this.authenticate(res, path, headers, maxBytes);
    }
    return res;
  }

  private sendOnce(url: URL, headers: Record<string, string>, maxBytes: number): Promise<RegistryResponse> {
    const h = { ...headers };
    if (this.authorization !== undefined) h.Authorization = this.authorization;
    return this.send(url, { headers: h, maxBytes });
  }

  /**
   * https first; for loopback hosts (which containerd treats as insecure: TLS
   * unverified, then plain http) fall back to http when https fails. The
   * scheme that answered is kept for the rest of the lookup.
   */
  private async sendToRegistry(path: string, headers: Record<string, string>, maxBytes: number): Promise<RegistryResponse> {
    if (this.base) return this.sendOnce(new URL(path, this.base), headers, maxBytes);
    const httpsBase = new URL(`https://${this.ref.apiHost}/`);
    let res: RegistryResponse;
    try {
      res = await this.sendOnce(new URL(path, httpsBase), headers, maxBytes);
      this.base = httpsBase;
    } catch (err) {
      if (this.signal.aborted || !isLoopbackHost(this.ref.apiHost)) throw err;
      const httpBase = new URL(`http://${this.ref.apiHost}/`);
      res = await this.sendOnce(new URL(path, httpBase), headers, maxBytes);
      this.base = httpBase;
    }
    return res;
  }

  /** Answers a 401: Bearer token flow or Basic, trying each credential (then anonymous for Bearer). */
  private async authenticate(first: RegistryResponse, path: string, headers: Record<string, string>, maxBytes: number): Promise<RegistryResponse> {
    const challenges = parseChallenges(headerValue(first.headers['www-authenticate']));
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const retry = async (authorization: string): Promise<RegistryResponse> => {
      this.authorization = authorization;
      const res = await this.sendOnce(new URL(path, this.base), headers, maxBytes);
      if (res.status === 401) this.authorization = undefined;
      return res;
    };
    let last = first;
    if (bearer) {
      const realm = parseRealm(bearer.params.realm);
      if (typeof realm === 'string') {
        this.authNote = `${this.ref.apiHost} sent ${realm}`;
        return first;
      }
      const refused: string[] = [];
      let anonymousStatus: number | undefined;
      for (const cred of [...this.credentials, undefined]) {
        if (cred?.registryToken !== undefined) this.announce(this.ref.apiHost);
        const got = cred?.registryToken !== undefined ? { token: cred.registryToken } : await this.fetchToken(realm, bearer.params.service, cred);
        if ('token' in got) {
          last = await retry(`Bearer ${got.token}`);
          if (last.status !== 401) return last;
          if (cred) refused.push(`"${cred.key}"`);
        } else if (got.status === undefined) {
          this.authNote = got.failure;
          return first;
        } else if (cred) {
          refused.push(`"${cred.key}" (HTTP ${got.status})`);
        } else {
          anonymousStatus = got.status;
        }
      }
      const anonymous = anonymousStatus === undefined ? 'anonymous access was refused' : `no anonymous token was given (HTTP ${anonymousStatus})`;
      this.authNote =
        refused.length > 0
          ? `docker config credentials ${refused.join(', ')} were refused and ${anonymous} for ${this.ref.registry}/${this.ref.repository}`
          : `${anonymous} for ${this.ref.registry}/${this.ref.repository} by ${realm.host}, and no docker config has credentials for ${this.ref.registry}`;
      return last;
    }
    if (basic) {
      for (const cred of this.credentials) {
        if (cred.username === undefined) continue;
        this.announce(this.ref.apiHost);
        last = await retry(`Basic ${Buffer.from(`${cred.username}:${cred.password ?? ''}`).toString('base64')}`);
        if (last.status !== 401) return last;
      }
      return last;
    }
    this.authNote = `${this.ref.apiHost} answered 401 without a Bearer or Basic challenge`;
    return first;
  }

  /**
   * The token flow of the distribution spec. A status means the token service
   * refused this credential; a failure alone means it cannot work at all.
   */
  private async fetchToken(realm: URL, service: string | undefined, cred: RegistryCredential | undefined): Promise<{ token: string } | { failure: string; status?: number }> {
    const url = new URL(realm);
    const scope = `repository:${this.ref.repository}:pull`;
    let res: RegistryResponse;
    if (cred?.identityToken || cred?.username !== undefined) this.announce(url.host);
    if (cred?.identityToken) {
      // OAuth2 refresh token grant (what `docker login` stores as identitytoken).
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identityToken, client_id: 'kubectl-distroless-debug', scope });
      if (service !== undefined) form.set('service', service);
      res = await this.send(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        maxBytes: 1 << 20,
      });
    } else {
      if (service !== undefined) url.searchParams.set('service', service);
      url.searchParams.set('scope', scope);
      const headers: Record<string, string> = {};
      if (cred?.username !== undefined) {
        headers.Authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password ?? ''}`).toString('base64')}`;
      }
      res = await this.send(url, { headers, maxBytes: 1 << 20 });
    }
    if (res.status !== 200) return { failure: `the token service ${url.host} answered HTTP ${res.status}`, status: res.status };
    try {
      const body = JSON.parse(res.body.toString('utf8')) as { token?: unknown; access_token?: unknown };
      const token = typeof body.token === 'string' && body.token ? body.token : body.access_token;
      if (typeof token === 'string' && token !== '') return { token };
    } catch {
      // fall through
    }
    return { failure: `the token service ${url.host} answered without a token` };
  }

  /**
   * One request plus up to three redirects. Authorization is sent only to the
   * origin it was meant for: a redirect elsewhere (a blob CDN) drops it.
   */
  private async send(url: URL, init: SendInit): Promise<RegistryResponse> {
    let current = url;
    let method = init.method ?? 'GET';
    let body = init.body;
    const headers = { ...init.headers };
    const origin = url.origin;
    for (let hop = 0; ; hop++) {
      if (current.origin !== origin) delete headers.Authorization;
      const res = await this.request(current, method, headers, body, init.maxBytes);
      const location = headerValue(res.headers.location);
      if (!REDIRECTS.has(res.status) || location === '') return res;
      if (hop >= MAX_REDIRECTS) throw new RegistryLookupError(`more than ${MAX_REDIRECTS} redirects from ${url.host}${url.pathname}`);
      const next = new URL(location, current);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new RegistryLookupError(`redirect to an unsupported URL scheme ${next.protocol}`);
      if (res.status !== 307 && res.status !== 308) {
        method = 'GET';
        body = undefined;
        delete headers['Content-Type'];
      }
      current = next;
    }
  }

  private request(url: URL, method: string, headers: Record<string, string>, body: string | undefined, maxBytes: number): Promise<RegistryResponse> {
    const secure = url.protocol === 'https:';
    const h: Record<string, string> = { 'User-Agent': 'kubectl-distroless-debug', ...headers };
    if (body !== undefined) h['Content-Length'] = String(Buffer.byteLength(body));
    const options: https.RequestOptions = {
      method,
      headers: h,
      signal: this.signal,
      agent: secure ? this.httpsAgent : this.httpAgent,
    };
    // Loopback registries are "insecure" in containerd: TLS without verification.
    if (secure && isLoopbackHost(url.host)) options.rejectUnauthorized = false;
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(url, options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            res.destroy();
            reject(new RegistryLookupError(`${url.host}${url.pathname} sent more than ${maxBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), url }));
        res.on('error', reject);
        // After 'end' this is a no-op; before it, the answer was cut short.
        res.on('close', () => reject(new RegistryLookupError(`${url.host} closed the connection mid-answer`)));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.name === 'AbortError') return reject(err);
        reject(new RegistryLookupError(`cannot reach ${url.protocol}//${url.host} (${err.code ?? err.message})`, { cause: err }));
      });
      req.end(body);
    });
  }
}

/** The realm as a URL, or what is wrong with it. */
function parseRealm(realm: string | undefined): URL | string {
  if (!realm) return 'a Bearer challenge without a realm';
  try {
    const url = new URL(realm);
    if (url.protocol === 'https:' || url.protocol === 'http:') return url;
  } catch {
    // below
  }
  return `an unusable token realm "${realm}"`;
}

function headerValue(v: string | string[] | undefined): string {
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}
