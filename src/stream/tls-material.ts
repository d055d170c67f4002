import type { RequestOptions } from 'node:https';
import type { ConnectionOptions } from 'node:tls';

/** What decides a stream's TLS connection: trust, client identity, name checked. */
export type TlsMaterial = Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername'>;

/**
 * The TLS part of a request's options, only the fields that are set (an
 * explicit undefined would override a default). The WebSocket handshake and
 * the connection opened ahead of it take the same, so they connect alike.
 */
export function tlsMaterial(o: RequestOptions): TlsMaterial {
  const out: TlsMaterial = {};
  if (o.ca !== undefined) out.ca = o.ca;
  if (o.cert !== undefined) out.cert = o.cert;
  if (o.key !== undefined) out.key = o.key;
  if (o.pfx !== undefined) out.pfx = o.pfx;
  if (o.passphrase !== undefined) out.passphrase = o.passphrase;
  if (o.rejectUnauthorized !== undefined) out.rejectUnauthorized = o.rejectUnauthorized;
  if (o.servername !== undefined) out.servername = o.servername;
  return out;
}
