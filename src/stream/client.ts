/**
 * A thin WebSocket client for pod exec/attach speaking v5/v4.channel.k8s.io:
 * the handshake (handshake.ts), then the channel pump (pump.ts).
 *
 * Why not client-node's Exec/Attach: they neither ping (idle sessions die
 * behind load balancers), nor resize, nor surface the handshake error body,
 * and they ignore backpressure.
 */
import { ForbiddenError } from '../errors.js';
import { openStreamSocket } from './handshake.js';
import { pumpChannels } from './pump.js';
import type { StreamIO, StreamRequest, StreamResult } from './request.js';

export { PROTOCOL_V4, PROTOCOL_V5, buildStreamUrl, describeStreamUrl } from './request.js';
export type { ResizeSource, StreamIO, StreamKind, StreamRequest, StreamResult } from './request.js';

export function isForbidden(err: unknown): boolean {
  return err instanceof ForbiddenError;
}

/** One exec/attach session: resolves with its result, rejects with a typed error. */
export async function runStream(req: StreamRequest, io: StreamIO, signal?: AbortSignal): Promise<StreamResult> {
  const ws = await openStreamSocket(req, signal);
  if (ws === undefined) return { exitCode: undefined, protocol: '' };
  if (signal?.aborted) {
    ws.close(1000, 'client aborted');
    return { exitCode: undefined, protocol: ws.protocol };
  }
  return pumpChannels(ws, req, io, signal);
}
