/**
 * What an exec/attach stream is asked to do, and its URL. Pure: no I/O.
 */
import type { RequestOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { ConnectionNames } from '../kubeconfig/transport-errors.js';
import type { TerminalSize } from './frames.js';

export type StreamKind = 'exec' | 'attach';

export const PROTOCOL_V5 = 'v5.channel.k8s.io';
export const PROTOCOL_V4 = 'v4.channel.k8s.io';

export interface StreamRequest {
  /** https://host:port[/prefix]; http:// (tests) maps to ws://. */
  server: string;
  /** Which kubeconfig entries the server comes from, so a TLS failure names them (as REST calls do). */
  connection?: ConnectionNames;
  /** ca/cert/key/headers/agent/auth/rejectUnauthorized/servername, e.g. from KubeConfig.applyToHTTPSOptions. */
  requestOptions: RequestOptions;
  /** A connection to the server opened ahead (stream/preconnect.ts): the WebSocket goes over it instead of a new one. */
  socket?: TLSSocket | undefined;
  namespace: string;
  pod: string;
  container: string;
  kind: StreamKind;
  /** exec only: sent as repeated `command=` query params. */
  command?: string[];
  stdin: boolean;
  /** stdout is always requested; stderr only when !tty (a tty merges them). */
  tty: boolean;
  /**
   * The remote command must see its input end (default: stdin without a
   * TTY), so the stream is never opened on v4.channel.k8s.io. False for input
   * that ends only with the stream itself (the guard's heartbeats): v4 serves it.
   */
  inputMustEnd?: boolean;
  /** Default 30 s. */
  handshakeTimeoutMs?: number;
  /** Default 5 s (kubectl's period). */
  pingIntervalMs?: number;
  /** No pong for this long => connection lost. Default 30 s. */
  pongTimeoutMs?: number;
  /** -v diagnostics. Header values are never logged. */
  log?: (line: string) => void;
  /** Called once, before the first byte of output: the remote side has really started. */
  onOutput?: () => void;
}

/**
 * Resize source: a subscribe function that calls the listener on every new
 * size and returns an unsubscribe function. `TerminalHandle.onResize` from
 * src/terminal/tty.ts has exactly this shape.
 */
export type ResizeSource = (listener: (size: TerminalSize) => void) => () => void;

export interface StreamIO {
  /** Raw bytes for channel 0 (used only when req.stdin). On 'end': close-stdin on v5; v4 just stops sending. */
  stdin?: NodeJS.ReadableStream;
  /**
   * Sent on channel 0 right after open, before anything from `stdin` (attach
   * sends the line its script waits for). With no `stdin` the channel is
   * half-closed after it (v5).
   */
  preamble?: Buffer;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Sent right after open when tty. */
  initialSize?: TerminalSize;
  /** Forwarded as resize frames when tty. */
  resizes?: ResizeSource;
  /** Sees every chunk of output just before it is written to `out` (e.g. to know where the cursor is). */
  observe?: (out: NodeJS.WritableStream, data: Buffer) => void;
}

export interface StreamResult {
  /**
   * The exec status' exit code; undefined for attach (no status frame; a
   * clean close means the attached process ended) and after an abort.
   */
  exitCode: number | undefined;
  /** Negotiated subprotocol ('' if the stream never opened). */
  protocol: string;
}

export function buildStreamUrl(req: StreamRequest): string {
  const url = new URL(req.server);
  if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol === 'http:') url.protocol = 'ws:';
  const prefix = url.pathname.replace(/\/+$/, '');
  const e = encodeURIComponent;
  url.pathname = `${prefix}/api/v1/namespaces/${e(req.namespace)}/pods/${e(req.pod)}/${req.kind}`;
  const q = new URLSearchParams();
  q.append('container', req.container);
  q.append('stdin', String(req.stdin));
  q.append('stdout', 'true');
  q.append('stderr', String(!req.tty));
  q.append('tty', String(req.tty));
  if (req.kind === 'exec') for (const arg of req.command ?? []) q.append('command', arg);
  url.search = q.toString();
  return url.toString();
}

const LONG_ARG = 60;

/**
 * The URL for -v: readable, with long command arguments (the session script
 * is kilobytes once URL-encoded) replaced by their size.
 */
export function describeStreamUrl(req: StreamRequest): string {
  const short = (req.command ?? []).map((a) => (a.length > LONG_ARG ? `<${a.length}-byte argument>` : a));
  return decodeURIComponent(buildStreamUrl({ ...req, command: short }).replace(/\+/g, ' '));
}
