/**
 * Moves bytes between an open exec/attach WebSocket and local streams until
 * the session ends: output channels with backpressure, stdin (with v5
 * half-close), resizes, pings, and what the end means: the exit status, a
 * failure status, or a lost connection.
 */
import WebSocket from './ws.js';
import { ConnectionLostError, type DebugError, StreamRefusedError } from '../errors.js';
import { Channel, type TerminalSize, decodeFrame, encodeCloseStdin, encodeFrame, encodeResize, parseStatus } from './frames.js';
import { outputRecycler } from './memory.js';
import type { StreamIO, StreamRequest, StreamResult } from './request.js';
import { type ChannelSocket, webSocketChannel } from './socket.js';

// Pause stdin when this much is queued on the socket; resume when below LOW.
const STDIN_HIGH_WATER = 1 << 20;
const STDIN_LOW_WATER = 1 << 18;

function isDestroyed(out: NodeJS.WritableStream): boolean {
  return (out as Partial<{ destroyed: boolean }>).destroyed === true;
}

/** Resolves once everything already written to `out` has been processed. */
function flushed(out: NodeJS.WritableStream): Promise<void> {
  const w = out as Partial<{ writableLength: number; writableEnded: boolean }>;
  if (isDestroyed(out) || w.writableEnded === true || !w.writableLength) return Promise.resolve();
  // A zero-length write's callback runs after all earlier writes completed (or failed).
  return new Promise((done) => {
    out.write(Buffer.alloc(0), () => done());
  });
}

/** How a stream that ended without our asking is read. */
export function closeOutcome(input: {
  kind: StreamRequest['kind'];
  exitCode: number | undefined;
  statusFailure: DebugError | undefined;
  /** We closed it (abort, local output gone). */
  localClose: boolean;
  pingTimedOut: boolean;
  pongTimeoutMs: number;
  /** WebSocket close code; 1006 = the TCP connection ended without a close frame. */
  code: number;
  socketError: Error | undefined;
}): { ok: true } | { err: DebugError } {
  const { kind } = input;
  if (input.pingTimedOut) {
    const s = Math.round(input.pongTimeoutMs / 1000);
    return {
      err: new ConnectionLostError(`the API server stopped answering pings for ${s}s during the ${kind} session; check the network and run the command again`),
    };
  }
  if (input.statusFailure) return { err: input.statusFailure };
  if (input.exitCode !== undefined || input.localClose) return { ok: true };
  // Attach has no status: a clean close is the attached process ending (its
  // exit code is in the container's state); anything else is a lost link.
  const clean = input.code === 1000 && input.socketError === undefined;
  if (kind === 'attach' && clean) return { ok: true };
  // Exec always ends with a status frame: a stream that closes without one,
  // cleanly or not, was cut somewhere between us and the kubelet.
  return {
    err: new ConnectionLostError(
      `connection to the API server was lost mid-session (the ${kind} stream closed${clean ? ' without an exit status' : ''}); the remote command may still be running, check the network and run it again`,
      { ...(input.socketError ? { cause: input.socketError } : {}), details: [`close code ${input.code}`] },
    ),
  };
}

/**
 * Runs the session over `socket` (open, paused, as openStreamSocket leaves
 * it) until it closes. Resolves only after the local outputs took every byte.
 */
export function pumpChannels(socket: ChannelSocket | WebSocket, req: StreamRequest, io: StreamIO, signal?: AbortSignal): Promise<StreamResult> {
  const ws: ChannelSocket = socket instanceof WebSocket ? webSocketChannel(socket) : socket;
  const log = req.log ?? ((): void => {});
  const protocol = ws.protocol;
  return new Promise<StreamResult>((resolve, reject) => {
    let settled = false;
    let exitCode: number | undefined;
    let statusFailure: DebugError | undefined;
    let socketError: Error | undefined;
    let pingTimedOut = false;
    let localClose = false; // we closed on purpose (abort, output went away)
    let outputStarted = false;
    const cleanups: Array<() => void> = [];
    // Outputs that returned false from write(); the socket stays paused until all drain.
    const blocked = new Map<NodeJS.WritableStream, Promise<void>>();

    const settle = (result: { ok: StreamResult } | { err: DebugError }, waitForOutputs = true): void => {
      if (settled) return;
      settled = true;
      for (const f of cleanups.splice(0)) f();
      if ('err' in result) {
        reject(result.err);
        return;
      }
      // Do not report success until the caller's outputs wrote every byte:
      // callers may exit right after, which would drop buffered output.
      if (waitForOutputs) {
        void Promise.all(blocked.values())
          .then(() => Promise.all([flushed(io.stdout), flushed(io.stderr)]))
          .then(() => resolve(result.ok));
      } else resolve(result.ok);
    };

    const onError = (err: Error): void => {
      socketError = err;
    };
    ws.on('error', onError);

    const onAbort = (): void => {
      log(`${req.kind} stream: aborted`);
      localClose = true;
      if (ws.isOpen) {
        ws.close(1000, 'client aborted');
        // Do not wait forever for the server's close frame.
        setTimeout(() => ws.terminate(), 1_000).unref();
      }
      settle({ ok: { exitCode: undefined, protocol } }, false);
    };
    if (signal) {
      signal.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => signal.removeEventListener('abort', onAbort));
    }

    const send = (frame: Buffer, cb?: (err?: Error) => void): void => {
      if (ws.isOpen) ws.send(frame, cb);
    };

    // Backpressure: when a writable is full, pause the WebSocket (ws pauses
    // the TCP socket, so TCP flow control pushes back to the API server) and
    // resume on 'drain'. Memory stays bounded by one socket read plus the
    // writable's highWaterMark, whatever the volume.
    const recycle = outputRecycler();
    let lastPong = Date.now();
    const write = (out: NodeJS.WritableStream, data: Buffer): void => {
      // The server opens each channel with an empty frame: nothing to write.
      if (data.length === 0 || localClose || isDestroyed(out)) return;
      recycle(data.length);
      io.observe?.(out, data);
      if (out.write(data) || blocked.has(out)) return;
      ws.pause();
      const waiting = new Promise<void>((done) => {
        const finish = (gone: boolean): void => {
          out.removeListener('drain', onDrain);
          out.removeListener('close', onGone);
          out.removeListener('error', onGone);
          blocked.delete(out);
          done();
          if (gone) {
            // The reader went away (e.g. `| head`): nobody wants the rest.
            log(`${req.kind} stream: local output closed; ending the session`);
            localClose = true;
            if (ws.isOpen) ws.close(1000, 'output closed');
          }
          if (blocked.size === 0) {
            lastPong = Date.now(); // pongs could not be read while paused
            ws.resume();
          }
        };
        const onDrain = (): void => finish(false);
        const onGone = (): void => finish(true);
        out.once('drain', onDrain);
        out.once('close', onGone);
        out.once('error', onGone);
      });
      blocked.set(out, waiting);
    };

    ws.on('message', (buf: Buffer) => {
      if (buf.length === 0) return;
      const { channel, data } = decodeFrame(buf);
      // The server opens each channel with an empty frame; only real bytes count.
      if (!outputStarted && data.length > 0 && (channel === Channel.stdout || channel === Channel.stderr)) {
        outputStarted = true;
        req.onOutput?.();
      }
      switch (channel) {
        case Channel.stdout:
          write(io.stdout, data);
          break;
        case Channel.stderr:
          write(io.stderr, data);
          break;
        case Channel.status: {
          const status = parseStatus(data.toString('utf8'));
          log(`${req.kind} stream: status ${data.toString('utf8')}`);
          if (status.exitCode >= 0) exitCode = status.exitCode;
          else {
            statusFailure = new StreamRefusedError(
              `the ${req.kind} session in pod ${req.namespace}/${req.pod} (container ${req.container}) failed: ${status.message ?? 'unknown error'}; check that the container is running and the command exists`,
              { details: [`status: ${data.toString('utf8')}`] },
            );
          }
          break;
        }
        default:
          log(`${req.kind} stream: ignoring ${data.length} bytes on channel ${channel}`);
      }
    });

    ws.on('pong', () => {
      lastPong = Date.now();
    });

    ws.on('close', (code: number, reason: string) => {
      log(`${req.kind} stream: closed with code ${code}${reason ? ` (${reason})` : ''}`);
      if (settled) return;
      const outcome = closeOutcome({
        kind: req.kind,
        exitCode,
        statusFailure,
        localClose,
        pingTimedOut,
        pongTimeoutMs: req.pongTimeoutMs ?? 30_000,
        code,
        socketError,
      });
      settle('err' in outcome ? outcome : { ok: { exitCode, protocol } });
    });

    if (req.tty) {
      let last = '';
      const sendSize = (size: TerminalSize): void => {
        const key = `${size.cols}x${size.rows}`;
        if (key === last || size.cols <= 0 || size.rows <= 0) return;
        last = key;
        send(encodeResize(size));
      };
      if (io.initialSize) sendSize(io.initialSize);
      if (io.resizes) cleanups.push(io.resizes(sendSize));
    }

    if (req.stdin) pumpStdin();

    function pumpStdin(): void {
      if (io.preamble) send(encodeFrame(Channel.stdin, io.preamble));
      const onEnd = (): void => {
        log(`${req.kind} stream: stdin ended`);
        // v4 has no way to signal EOF: the remote keeps waiting for input
        // (handshake.ts never opens v4 for input that must end).
        if (ws.canCloseStdin) send(encodeCloseStdin());
      };
      const stdin = io.stdin;
      if (!stdin) {
        onEnd();
        return;
      }
      let paused = false;
      const onSent = (): void => {
        if (paused && ws.bufferedAmount < STDIN_LOW_WATER) {
          paused = false;
          stdin.resume();
        }
      };
      const onData = (chunk: Buffer | string): void => {
        send(encodeFrame(Channel.stdin, chunk), onSent);
        if (ws.bufferedAmount > STDIN_HIGH_WATER && !paused) {
          paused = true;
          stdin.pause();
        }
      };
      const onStdinError = (err: Error): void => log(`${req.kind} stream: stdin error: ${err.message}`);
      stdin.on('data', onData);
      stdin.once('end', onEnd);
      stdin.on('error', onStdinError);
      stdin.resume();
      cleanups.push(() => {
        stdin.removeListener('data', onData);
        stdin.removeListener('end', onEnd);
        stdin.removeListener('error', onStdinError);
        // Leave it paused so it does not hold the event loop open.
        stdin.pause();
      });
    }

    const pingMs = req.pingIntervalMs ?? 5_000;
    const pongMs = req.pongTimeoutMs ?? 30_000;
    const timer = setInterval(() => {
      if (ws.isPaused) {
        // Pongs sit unread in the paused socket; a slow reader is not a dead link.
        lastPong = Date.now();
        return;
      }
      if (Date.now() - lastPong > pongMs) {
        log(`${req.kind} stream: no pong for ${pongMs} ms`);
        pingTimedOut = true;
        ws.terminate();
        return;
      }
      ws.ping();
    }, pingMs);
    timer.unref(); // the socket itself keeps the process alive
    cleanups.push(() => clearInterval(timer));
    cleanups.push(() => ws.off('error', onError));

    // openStreamSocket left it paused until these listeners were in place.
    ws.resume();
  });
}
