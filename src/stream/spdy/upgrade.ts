/**
 * The HTTP/1.1 upgrade to SPDY/3.1 for pod exec/attach, as kubectl's SPDY
 * executor asks for it: POST to the same URL as the WebSocket, with
 * `Connection: Upgrade`, `Upgrade: SPDY/3.1` and one
 * `X-Stream-Protocol-Version` header per channel protocol offered. The
 * server answers 101 with the protocol it chose in the same header.
 *
 * Failures are returned as data (UpgradeFailure); handshake.ts words them.
 */
import { Agent as HttpAgent, type ClientRequest, type IncomingMessage, request as httpRequest } from 'node:http';
import { readRefusalBody } from '../refusal-body.js';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';

export const SPDY_UPGRADE = 'SPDY/3.1';
export const STREAM_PROTOCOL_HEADER = 'X-Stream-Protocol-Version';

export type UpgradeFailure =
  | { kind: 'refused'; status: number; body: string }
  | { kind: 'timeout' }
  | { kind: 'network'; error: Error }
  /** 101, but none of the offered channel protocols. */
  | { kind: 'protocol'; chosen: string };

export type UpgradeResult = { socket: Duplex; protocol: string } | { failure: UpgradeFailure } | { aborted: true };

/** The HTTPS (or, in tests, HTTP) upgrade request; resolves once the server answered. */
export function upgradeToSpdy(input: {
  url: string;
  requestOptions: RequestOptions;
  protocols: string[];
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}): Promise<UpgradeResult> {
  const { url, requestOptions: o } = input;
  if (input.signal?.aborted) return Promise.resolve({ aborted: true });
  return new Promise((resolve) => {
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) {
      if (v === undefined) continue;
      headers[k] = Array.isArray(v) ? v.map(String) : String(v);
    }
    headers['Connection'] = 'Upgrade';
    headers['Upgrade'] = SPDY_UPGRADE;
    headers[STREAM_PROTOCOL_HEADER] = input.protocols;
    const opts: RequestOptions = {
      method: 'POST',
      protocol: u.protocol,
      hostname: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port || (secure ? 443 : 80),
      path: `${u.pathname}${u.search}`,
      headers,
      // Not the shared keep-alive pool: this connection becomes the session.
      agent: o.agent instanceof HttpAgent ? o.agent : false,
    };
    for (const key of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername', 'auth'] as const) {
      if (o[key] !== undefined && o[key] !== null) (opts as Record<string, unknown>)[key] = o[key];
    }
    let settled = false;
    let req: ClientRequest | undefined;
    const finish = (r: UpgradeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      input.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const onAbort = (): void => {
      req?.destroy();
      finish({ aborted: true });
    };
    const timer = setTimeout(() => {
      req?.destroy();
      finish({ failure: { kind: 'timeout' } });
    }, input.timeoutMs);
    input.signal?.addEventListener('abort', onAbort, { once: true });

    req = (secure ? httpsRequest : httpRequest)(opts);
    req.on('upgrade', (res: IncomingMessage, socket: Duplex, head: Buffer) => {
      const chosen = String(res.headers[STREAM_PROTOCOL_HEADER.toLowerCase()] ?? '');
      if (settled) {
        socket.destroy();
        return;
      }
      if (!input.protocols.includes(chosen)) {
        socket.destroy();
        finish({ failure: { kind: 'protocol', chosen } });
        return;
      }
      if (head.length > 0) socket.unshift(head);
      finish({ socket, protocol: chosen });
    });
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      void readRefusalBody(res, { limit: 64 * 1024, timeoutMs: 5_000, destroy: true }).then((body) => finish({ failure: { kind: 'refused', status, body } }));
    });
    req.on('error', (error: Error) => finish({ failure: { kind: 'network', error } }));
    req.end();
  });
}
