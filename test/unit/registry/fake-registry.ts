/**
 * A tiny registry API v2 on 127.0.0.1 for tests: manifests, indexes and config
 * blobs by digest, optional Bearer (token endpoint on the same server) or
 * Basic auth, blob redirects to a second "CDN" server, and every request
 * recorded with its Authorization header.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface Recorded {
  server: 'registry' | 'cdn';
  method: string;
  path: string;
  authorization: string | undefined;
}

export type FakeAuth =
  | { kind: 'none' }
  /** Token endpoint at /token; with user/pass it demands Basic credentials, else it is anonymous. */
  | { kind: 'bearer'; user?: string; pass?: string; refreshToken?: string }
  | { kind: 'basic'; user: string; pass: string };

interface Stored {
  body: Buffer;
  mediaType: string;
}

export interface FakeRegistryOptions {
  auth?: FakeAuth;
  /** Serve blobs by a 307 to a second server on another port. */
  redirectBlobs?: boolean;
  /** Accept connections but never answer. */
  hang?: boolean;
  /** Serve https with this key and certificate (else plain http). */
  tls?: { key: string; cert: string };
}

export class FakeRegistry {
  readonly requests: Recorded[] = [];
  readonly manifests = new Map<string, Stored>();
  readonly blobs = new Map<string, Buffer>();
  private readonly tokens = new Set<string>();
  private server!: http.Server;
  private cdn: http.Server | undefined;
  port = 0;
  cdnPort = 0;

  constructor(readonly options: FakeRegistryOptions = {}) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.handle(req, res);
    this.server = this.options.tls ? https.createServer(this.options.tls, handler) : http.createServer(handler);
    this.port = await listen(this.server);
    if (this.options.redirectBlobs) {
      this.cdn = http.createServer((req, res) => this.handleCdn(req, res));
      this.cdnPort = await listen(this.cdn);
    }
    return this;
  }

  async stop(): Promise<void> {
    for (const s of [this.server, this.cdn]) {
      if (!s) continue;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  /** Stores a config blob and its manifest; returns both digests. */
  addImage(config: Record<string, unknown>, opts: { manifestType?: string; configOverride?: Buffer } = {}): { manifest: string; config: string } {
    const configBody = Buffer.from(JSON.stringify(config));
    const configDigest = sha256(configBody);
    this.blobs.set(configDigest, opts.configOverride ?? configBody);
    const mediaType = opts.manifestType ?? 'application/vnd.oci.image.manifest.v1+json';
    const manifest = {
      schemaVersion: 2,
      mediaType,
      config: {
        mediaType: mediaType.includes('docker') ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: configBody.length,
      },
      layers: [],
    };
    return { manifest: this.addManifest(manifest, mediaType), config: configDigest };
  }

  /** Stores an index over platform manifests; returns its digest. */
  addIndex(entries: Array<{ digest: string; os: string; architecture: string; variant?: string }>, mediaType = 'application/vnd.oci.image.index.v1+json'): string {
    return this.addManifest(
      {
        schemaVersion: 2,
        mediaType,
        manifests: entries.map((e) => ({
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: e.digest,
          size: this.manifests.get(e.digest)?.body.length ?? 0,
          platform: { os: e.os, architecture: e.architecture, ...(e.variant ? { variant: e.variant } : {}) },
        })),
      },
      mediaType,
    );
  }

  addManifest(manifest: unknown, mediaType: string): string {
    const body = Buffer.from(JSON.stringify(manifest, null, 2));
    const digest = sha256(body);
    this.manifests.set(digest, { body, mediaType });
    return digest;
  }

  private challenge(): string {
    const auth = this.options.auth ?? { kind: 'none' };
    if (auth.kind === 'basic') return 'Basic realm="fake"';
    return `Bearer realm="http://127.0.0.1:${this.port}/token",service="fake-registry"`;
  }

  private authorized(header: string | undefined): boolean {
    const auth = this.options.auth ?? { kind: 'none' };
    if (auth.kind === 'none') return true;
    if (auth.kind === 'basic') return header === basic(auth.user, auth.pass);
    return header !== undefined && header.startsWith('Bearer ') && this.tokens.has(header.slice(7));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ server: 'registry', method: req.method ?? '', path: url.pathname + url.search, authorization: req.headers.authorization });
    if (this.options.hang) return;
    if (url.pathname === '/token') return this.handleToken(req, url, res);
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!m) return void res.writeHead(404).end();
    if (!this.authorized(req.headers.authorization)) {
      res.writeHead(401, { 'WWW-Authenticate': this.challenge(), 'Content-Type': 'application/json' });
      return void res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    }
    const [, , kind, ref] = m;
    if (kind === 'manifests') {
      const stored = this.manifests.get(ref ?? '');
      if (!stored) return void res.writeHead(404).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
      res.writeHead(200, { 'Content-Type': stored.mediaType, 'Docker-Content-Digest': ref });
      return void res.end(stored.body);
    }
    const blob = this.blobs.get(ref ?? '');
    if (!blob) return void res.writeHead(404).end('{"errors":[{"code":"BLOB_UNKNOWN"}]}');
    if (this.cdn) {
      res.writeHead(307, { Location: `http://127.0.0.1:${this.cdnPort}/cdn/${ref}?sig=abc` });
      return void res.end();
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    res.end(blob);
  }

  private handleToken(req: http.IncomingMessage, url: URL, res: http.ServerResponse): void {
    const auth = this.options.auth;
    if (auth?.kind !== 'bearer') return void res.writeHead(404).end();
    const finish = (form?: URLSearchParams): void => {
      const ok =
        form !== undefined
          ? auth.refreshToken !== undefined && form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === auth.refreshToken
          : auth.user === undefined || req.headers.authorization === basic(auth.user, auth.pass ?? '');
      const scope = form?.get('scope') ?? url.searchParams.get('scope');
      if (!ok || !scope?.startsWith('repository:') || !scope.endsWith(':pull')) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        return void res.end('{"details":"incorrect username or password"}');
      }
      const token = `tok-${this.tokens.size + 1}`;
      this.tokens.add(token);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(form ? { access_token: token } : { token }));
    };
    if (req.method === 'POST') {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (text += c));
      req.on('end', () => finish(new URLSearchParams(text)));
    } else {
      finish();
    }
  }

  private handleCdn(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ server: 'cdn', method: req.method ?? '', path: url.pathname + url.search, authorization: req.headers.authorization });
    const blob = this.blobs.get(url.pathname.replace(/^\/cdn\//, ''));
    if (!blob) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    res.end(blob);
  }
}

export const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** A Docker config JSON with one entry. */
export function dockerConfig(key: string, user: string, pass: string): string {
  return JSON.stringify({ auths: { [key]: { auth: Buffer.from(`${user}:${pass}`).toString('base64') } } });
}
