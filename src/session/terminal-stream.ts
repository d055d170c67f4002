import type { ClusterConnection } from '../kubeconfig/load.js';
import type { KubeClient } from '../kube/rest.js';
import type { SessionPlan } from '../plan/plan.js';
import type { Emit } from '../progress/events.js';
import type { StreamKind, StreamRequest } from '../stream/client.js';
import { openStreamSocket } from '../stream/handshake.js';
import { pumpChannels } from '../stream/pump.js';
import { noteOutput } from '../terminal/cursor.js';
import { enterRawMode, type TerminalHandle } from '../terminal/tty.js';
import { recorderFor } from '../record/asciicast.js';
import { Transform } from 'node:stream';

/** kubectl's words (staging/src/k8s.io/kubectl/pkg/util/term), so scripts that know them still match. */
export const NO_TTY_WARNING = 'Unable to use a TTY - input is not a terminal or the right kind of file';

/** -v lines that are the same on every attempt of a run: printed once. */
const loggedOnce = new WeakMap<Emit, Set<string>>();
const ONCE = /^(exec|attach) stream: (GET|headers) /;

function onceLogger(emit: Emit): (line: string) => void {
  let seen = loggedOnce.get(emit);
  if (!seen) loggedOnce.set(emit, (seen = new Set()));
  const lines = seen;
  return (line) => {
    if (ONCE.test(line)) {
      if (lines.has(line)) return;
      lines.add(line);
    }
    emit({ kind: 'debug', text: line });
  };
}

const warnedNoTty = new WeakSet<Emit>();

/**
 * Joins the local terminal (or pipes) to an exec/attach stream. With a TTY
 * the terminal goes raw for the session and is restored on every way out.
 * A TTY asked for (-t) while stdin is not a terminal is dropped with
 * kubectl's warning: the remote terminal would wait for input that a pipe
 * cannot give it (the session hung).
 */
export async function streamSession(input: {
  kube: KubeClient;
  conn: ClusterConnection;
  plan: SessionPlan;
  container: string;
  kind: StreamKind;
  command: string[];
  io: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };
  emit: Emit;
  onOutput?: () => void;
  /** The stream opened (a refusal may still follow on its status channel). */
  onOpen?: () => void;
  /** Sent on stdin before the user's input (attach: the line its script waits for). */
  preamble?: Buffer;
  /** Ends the stream (and restores the terminal) early, e.g. when the debugger can no longer start. */
  signal?: AbortSignal;
}): Promise<number | undefined> {
  const { plan, io } = input;
  const stdinIsTTY = io.stdin.isTTY === true;
  const tty = plan.session.tty && stdinIsTTY;
  if (plan.session.tty && !stdinIsTTY && !warnedNoTty.has(input.emit)) {
    warnedNoTty.add(input.emit);
    // Straight to stderr like kubectl, not through progress: -q must not hide it.
    io.stderr.write(`${NO_TTY_WARNING}\n`);
  }
  const req: StreamRequest = {
    server: input.conn.server,
    connection: input.conn,
    requestOptions: await input.conn.requestOptions(),
    socket: input.conn.takeSocket?.(),
    namespace: plan.namespace,
    pod: plan.pod,
    container: input.container,
    kind: input.kind,
    command: input.command,
    // Attach's go line needs the stdin channel even when the user's input is not read.
    stdin: plan.session.stdin || input.preamble !== undefined,
    tty,
    log: onceLogger(input.emit),
    ...(input.onOutput ? { onOutput: input.onOutput } : {}),
    // --request-timeout bounds the wait for the stream to open as it bounds every request.
    ...(input.conn.requestTimeoutMs !== undefined ? { handshakeTimeoutMs: Math.min(30_000, input.conn.requestTimeoutMs) } : {}),
  };
  // The terminal goes raw only once the stream is open: an attempt the
  // server refuses (retried while the debugger starts) leaves it, and the
  // spinner above it, alone.
  const ws = await openStreamSocket(req, input.signal);
  if (ws === undefined) return undefined;
  input.onOpen?.();
  let terminal: TerminalHandle | undefined;
  if (tty) terminal = enterRawMode(io.stdin, io.stdout);
  // --record: output, resizes and (with --record-input) input, as they pass.
  const recorder = recorderFor(input.emit);
  const untapInput = recorder?.recordInput && plan.session.stdin ? tapInput(io.stdin, (d) => recorder.input(d)) : undefined;
  const offResize = recorder && terminal ? terminal.onResize((s) => recorder.resize(s.cols, s.rows)) : undefined;
  try {
    const size = terminal?.size();
    const result = await pumpChannels(ws, req, {
      ...(plan.session.stdin ? { stdin: untapInput?.stream ?? io.stdin } : {}),
      ...(input.preamble ? { preamble: input.preamble } : {}),
      stdout: io.stdout,
      stderr: io.stderr,
      ...(size ? { initialSize: size } : {}),
      ...(terminal ? { resizes: (f) => terminal!.onResize(f) } : {}),
      observe: (out, data) => {
        recorder?.output(data);
        terminal?.sawOutput();
        if ((out as Partial<NodeJS.WriteStream>).isTTY === true) noteOutput(data);
      },
    }, input.signal);
    input.emit({ kind: 'debug', text: `stream closed (${result.protocol}), exit code ${result.exitCode ?? 'none'}` });
    return result.exitCode;
  } finally {
    untapInput?.stop();
    offResize?.();
    terminal?.restore();
  }
}

/**
 * What the user types, seen on its way to the stream: a pass-through the
 * pump reads instead of stdin (its pause/resume still reaches stdin through
 * the pipe). Undone at the end of each attempt, so stdin is left as found.
 */
function tapInput(stdin: NodeJS.ReadStream, see: (d: Buffer) => void): { stream: NodeJS.ReadableStream; stop: () => void } {
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      see(chunk);
      done(null, chunk);
    },
  });
  stdin.pipe(stream);
  return {
    stream,
    stop: () => {
      stdin.unpipe(stream);
      stream.destroy();
    },
  };
}
