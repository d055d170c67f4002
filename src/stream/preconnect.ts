/**
 * A TLS connection to the API server opened ahead of the first stream, so
 * that its handshake runs while the plugin still loads and plans. The stream
 * then goes over it exactly as it would over a connection of its own: same
 * certificates, server name and checks (the options are the request's own).
 * Used once; a connection that failed or closed before it was wanted is
 * dropped and the stream connects as usual, so an error is reported there.
 */
import { isIP } from 'node:net';
import type { RequestOptions } from 'node:https';
import https from 'node:https';
import tls from 'node:tls';
import { tlsMaterial } from './tls-material.js';

export interface Preconnected {
  /** The connection, once; undefined when it is gone (or was already taken). */
  take(): tls.TLSSocket | undefined;
  /** Closes it if nobody took it. */
  drop(): void;
}

/**
 * Only a direct TLS connection is opened ahead: through a proxy (a tunnel
 * agent, socks) or over plain HTTP the stream connects as usual.
 */
export function canPreconnect(server: string, opts: RequestOptions): boolean {
  return server.startsWith('https://') && (opts.agent === undefined || Object.getPrototypeOf(opts.agent) === https.Agent.prototype);
}

export function preconnect(server: string, opts: RequestOptions): Preconnected {
  const url = new URL(server);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const connectOpts: tls.ConnectionOptions = { host, port: Number(url.port || 443), ...tlsMaterial(opts) };
  // What an https request sends: SNI with a name, none with an address (unless tls-server-name says otherwise).
  if (connectOpts.servername === undefined && !isIP(host)) connectOpts.servername = host;
  let socket: tls.TLSSocket | undefined = tls.connect(connectOpts);
  let failed = false;
  // Until it is taken nothing else listens: an error must not be unhandled, only remembered.
  const onError = (): void => {
    failed = true;
  };
  socket.on('error', onError);
  socket.once('close', () => (failed = true));
  // An untaken connection must not hold the process.
  socket.unref();
  return {
    take() {
      const s = socket;
      socket = undefined;
      if (!s) return undefined;
      if (failed || s.destroyed) {
        s.destroy();
        return undefined;
      }
      s.removeListener('error', onError);
      s.ref();
      return s;
    },
    drop() {
      socket?.destroy();
      socket = undefined;
    },
  };
}
