/**
 * Kubernetes channel protocol (v4/v5.channel.k8s.io) framing. Pure: no I/O.
 *
 * Every binary WebSocket message starts with one channel byte; the rest is the
 * payload for that channel.
 */

export const Channel = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  /** JSON metav1.Status once the remote process ends (exec only). */
  status: 3,
  /** JSON `{"Width":cols,"Height":rows}`, client to server. */
  resize: 4,
  /** v5 only: `[255, channel]` half-closes that channel. */
  close: 255,
} as const;

export type ChannelName = keyof typeof Channel;

export interface TerminalSize {
  cols: number;
  rows: number;
}

export interface ExitStatus {
  /** Remote exit code; -1 when the status is a failure that is not an exit code. */
  exitCode: number;
  /** Server's explanation, set when exitCode is -1. */
  message?: string;
}

export function encodeFrame(channel: number, data: Buffer | string): Buffer {
  if (!Number.isInteger(channel) || channel < 0 || channel > 255) {
    throw new RangeError(`invalid channel ${channel}`);
  }
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const frame = Buffer.allocUnsafe(payload.length + 1);
  frame[0] = channel;
  payload.copy(frame, 1);
  return frame;
}

export function decodeFrame(buf: Buffer): { channel: number; data: Buffer } {
  const channel = buf[0];
  if (channel === undefined) throw new RangeError('empty frame has no channel byte');
  // subarray, not slice-copy: stdout can carry hundreds of MiB.
  return { channel, data: buf.subarray(1) };
}

export function encodeResize(size: TerminalSize): Buffer {
  return encodeFrame(Channel.resize, JSON.stringify({ Width: size.cols, Height: size.rows }));
}

/** v5 only: tells the server stdin is finished (the remote sees EOF). */
export function encodeCloseStdin(): Buffer {
  return Buffer.from([Channel.close, Channel.stdin]);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Interprets the metav1.Status JSON sent on channel 3. Never throws. */
export function parseStatus(json: string): ExitStatus {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { exitCode: -1, message: `malformed status from the server: ${truncate(json)}` };
  }
  if (!isRecord(parsed)) {
    return { exitCode: -1, message: `malformed status from the server: ${truncate(json)}` };
  }
  if (parsed['status'] === 'Success') return { exitCode: 0 };

  const message =
    typeof parsed['message'] === 'string' && parsed['message'] !== ''
      ? parsed['message']
      : `the server reported ${String(parsed['status'] ?? 'an unknown status')}` +
        (typeof parsed['reason'] === 'string' ? ` (${parsed['reason']})` : '');

  if (parsed['reason'] === 'NonZeroExitCode') {
    const details = parsed['details'];
    const causes = isRecord(details) && Array.isArray(details['causes']) ? (details['causes'] as unknown[]) : [];
    for (const c of causes) {
      if (!isRecord(c)) continue;
      const reason = c['reason'];
      const text = c['message'];
      if (reason !== 'ExitCode' || typeof text !== 'string') continue;
      if (!/^\s*\d{1,10}\s*$/.test(text)) continue;
      return { exitCode: Number(text.trim()) };
    }
  }
  return { exitCode: -1, message };
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
