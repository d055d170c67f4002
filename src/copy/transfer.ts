/**
 * One `cp`, start to end. The remote side is an ordinary session of the
 * debugger (session/run.ts: reuse, identity, checks, retries, signals) whose
 * command is BusyBox tar on the app's root (remote-script.ts) and whose
 * stdin/stdout are the tar stream; this module only wires the streams, the
 * progress bar and the error messages.
 */
import { PassThrough, type Readable, Writable } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import {
  CopyFailedError,
  ForbiddenError,
  PathKindError,
  PathNotFoundError,
  PathPermissionError,
  ReadOnlyFilesystemError,
  type DebugError,
} from '../errors.js';
import type { MainIO } from '../cli/main.js';
import { onShutdown } from '../cli/shutdown.js';
import { resolvePod } from '../kube/workload.js';
import { chooseTarget } from '../plan/target.js';
import type { Emit, ProgressSink } from '../progress/events.js';
import { connect, runDebug, type RunIO } from '../session/run.js';
import { outputRecycler } from '../stream/memory.js';
import type { CopyArgs } from './args.js';
import { remoteBase } from './endpoints.js';
import { checkLocalDestination, localPacker, localUnpacker, type PackSource } from './local-tar.js';
import { progressBar, type Progress } from './progress.js';
import { classifyTarMessages, CP_FAIL_EXIT, packScript, parseRemoteStderr, unpackScript, type RemoteFailure } from './remote-script.js';
import { describeWritable, writableMounts } from './volumes.js';

/** Piped input kept for a retried exec while a new debugger starts: small, so a big upload does not sit in memory. */
const REPLAY_LIMIT = 4 << 20;
/** The remote stderr kept for messages (tar's own lines). */
const STDERR_KEEP = 64 << 10;

export async function runCopy(args: CopyArgs, io: MainIO): Promise<number> {
  const { endpoints } = args;
  const { remote, local, direction } = endpoints;
  const options = args.options;
  const sink = await chooseSink(options.quiet, options.verbose, io.stderr);
  const showProgress = !options.quiet && io.stderr.isTTY === true && (io.stderr.columns ?? 0) > 0;
  const progress = progressBar(io.stderr, showProgress);
  const offShutdown = onShutdown(() => {
    sink.close();
    progress.stop();
  });
  const warn = (text: string) => sink.emit({ kind: 'warn', text });
  let packed: PackSource | undefined;
  try {
    // Local checks first: bad input changes nothing in the cluster.
    if (direction === 'out') await checkLocalDestination(local);
    else packed = await localPacker(local, warn);

    const from = direction === 'out' ? remote.written : local;
    const to = direction === 'out' ? local : remote.written;
    const emit: Emit = (e) => {
      if (e.kind === 'ready') {
        sink.emit({ kind: 'ready', text: `copying ${from} to ${to}` });
        sink.close();
        progress.start();
        return;
      }
      sink.emit(e);
    };
    const timed = async <T>(phase: string, f: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try {
        return await f();
      } finally {
        emit({ kind: 'timing', phase, ms: Math.round(performance.now() - t0) });
      }
    };
    // Into the pod: once the pod side reports a failure, the rest of the input is not wanted (it would
    // only be drained), so it ends there; out of the pod nothing is sent.
    const input = new PassThrough();
    if (packed) packed.stream.pipe(input);
    else input.end();
    const stopSending = () => {
      if (!packed || input.writableEnded) return;
      packed.stream.unpipe(input);
      input.end();
    };
    const stderr = new StderrCapture((size) => progress.setTotal(size), stopSending);
    const base = remoteBase(remote.path);
    const unpacker = direction === 'out' ? localUnpacker({ dest: local, top: base, warn }) : undefined;
    if (packed) progress.setTotal(packed.size);
    const command =
      direction === 'out'
        ? // Without a bar nothing reads the size: the pod side skips its walk of the tree.
          ['sh', '-c', packScript(), 'distroless-debug-cp', remote.path, showProgress ? 'size' : '-']
        : ['sh', '-c', unpackScript(), 'distroless-debug-cp', remote.path, (packed as PackSource).name, (packed as PackSource).kind];
    const runIO: RunIO = {
      stdin: (packed ? counted(input, progress) : input) as unknown as NodeJS.ReadStream,
      stdout: (unpacker ? countingWriter(unpacker.input, progress) : new Discard()) as unknown as NodeJS.WriteStream,
      stderr: stderr as unknown as NodeJS.WriteStream,
      env: io.env,
      emit,
      random: Math.random,
    };
    const client = await connect(options, runIO, timed);
    const code = await runDebug({ ...options, command, tty: false }, runIO, client, {
      execOnly: () =>
        new ForbiddenError(
          `cp needs "create pods/exec" in namespace "${client.conn.namespace}" (only attach is allowed, and a copy cannot go through attach); ask your cluster admin`,
        ),
      replayLimit: REPLAY_LIMIT,
    });
    const summary = progress.stop();
    (runIO.stdout as unknown as Writable).end();
    const localFailure = unpacker?.localFailure();
    if (localFailure !== undefined) throw localFailure;
    const unpacked = unpacker
      ? await unpacker.done.catch((err: unknown) => {
          if (code !== 0) return undefined;
          throw new CopyFailedError(`the archive from ${remote.target} ended early or is damaged (${err instanceof Error ? err.message : String(err)}); run the copy again`, { cause: err });
        })
      : undefined;
    if (code !== 0) {
      const pod = await resolvePod(client.kube, client.conn.namespace, options.ref).catch(() => undefined);
      throw remoteError({ code, text: stderr.text(), target: remote.target, path: remote.path, direction, pod, container: options.container });
    }
    const skipped = [...(packed?.skipped ?? []), ...(unpacked?.skipped ?? [])];
    if (skipped.length > 0) {
      throw new CopyFailedError(`${skipped.length} ${skipped.length === 1 ? 'entry was' : 'entries were'} not copied (see the warnings above); the rest was copied to ${to}`);
    }
    if (summary && !options.quiet) io.stderr.write(`distroless-debug: ${summary}\n`);
    return 0;
  } finally {
    progress.stop();
    sink.close();
    packed?.stream.destroy();
    offShutdown();
  }
}

async function chooseSink(quiet: boolean, verbose: boolean, stderr: NodeJS.WriteStream): Promise<ProgressSink> {
  const { lineSink, quietSink, spinnerSink } = await import('../progress/sinks.js');
  if (quiet) return quietSink;
  if (stderr.isTTY && (stderr.columns ?? 0) > 0) return spinnerSink(stderr, verbose);
  return lineSink(stderr, verbose);
}

/** The remote stderr: the script's size line feeds the progress bar; the rest is kept for messages. */
class StderrCapture extends Writable {
  private kept = '';
  private seenSize = false;
  constructor(
    private readonly onSize: (n: number) => void,
    /** The pod side said something went wrong (its own report, or tar's). */
    private readonly onTrouble: () => void,
  ) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.kept = (this.kept + chunk.toString('utf8')).slice(-STDERR_KEEP);
    const report = parseRemoteStderr(this.kept);
    if (report.failure || report.other.length > 0) this.onTrouble();
    if (!this.seenSize) {
      const size = parseRemoteStderr(this.kept).size;
      if (size !== undefined) {
        this.seenSize = true;
        this.onSize(size);
      }
    }
    cb();
  }
  text(): string {
    return this.kept;
  }
}

class Discard extends Writable {
  override _write(_chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    cb();
  }
}

/** Counts the bytes going out (and lets the garbage collector keep up with them: see stream/memory.ts). */
function counted(source: Readable, progress: Progress): Readable {
  // Input passes through more copies than output (file read, tar block, frame): they die young too.
  const recycle = outputRecycler();
  source.on('data', (chunk: Buffer) => {
    progress.add(chunk.length);
    recycle(chunk.length);
  });
  source.pause();
  return source;
}

/**
 * Counts the bytes coming in, passing them on with the target's backpressure.
 * The pump's own collections (stream/memory.ts) are enough: the archive's
 * bytes go to disk from the buffer they arrived in (tar-reader.ts), so no
 * more copies are alive than for a session's output.
 */
function countingWriter(target: Writable, progress: Progress): Writable {
  const w = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) {
      progress.add(chunk.length);
      if (target.write(chunk)) cb();
      else target.once('drain', () => cb());
    },
    final(cb) {
      target.end();
      cb();
    },
  });
  return w;
}

/** The pod side failed: the script's own report, else tar's words, as the typed error a user sees. */
export function remoteError(input: {
  code: number;
  text: string;
  target: string;
  path: string;
  direction: 'out' | 'in';
  pod: V1Pod | undefined;
  container: string | undefined;
}): DebugError {
  const report = parseRemoteStderr(input.text);
  const kind: RemoteFailure | undefined = report.failure?.kind ?? (input.code === CP_FAIL_EXIT ? undefined : classifyTarMessages(report.other));
  const at = `${input.target}:${report.failure?.path ?? input.path}`;
  const tarSays = report.other.at(-1);
  switch (kind) {
    case 'missing':
      return new PathNotFoundError(`${at}: no such file or directory in the pod; check the path (kubectl distroless-debug ${input.target} -- ls -la DIR lists a directory)`);
    case 'permission':
      return new PathPermissionError(
        `${at}: permission denied for the app's user${tarSays ? ` (${tarSays.replace(/^tar: /, '')})` : ''}; the copy runs as the app's identity (see -v), --uid/--gid choose another`,
      );
    case 'readonly': {
      const container = input.pod ? safeTarget(input.pod, input.container) : undefined;
      const writable = input.pod && container ? describeWritable(writableMounts(input.pod, container)) : undefined;
      return new ReadOnlyFilesystemError(
        `cannot write ${at}: read-only file system; ${writable ? `writable volume mounts of container ${container}: ${writable}; copy into one of them` : 'the container has no writable volume mount'}`,
      );
    }
    case 'nospace':
      return new CopyFailedError(`cannot write ${at}: no space left on the device in the pod; free some space or copy to another volume`);
    case 'notdir':
      return new PathKindError(`${at} is a file, not a directory; give a directory (or a new name) as the destination`);
    case 'isdir':
      return new PathKindError(`cannot copy a file onto ${at}: it is a directory; give its parent or a new name`);
    case 'loop':
      return new PathNotFoundError(`${at}: too many levels of symbolic links in the pod; check the path`);
    default:
      return new CopyFailedError(
        `the copy ${input.direction === 'out' ? 'out of' : 'into'} ${input.target} failed (tar exited with ${input.code})${tarSays ? `: ${tarSays}` : ''}; run again with -v for details`,
      );
  }
}

function safeTarget(pod: V1Pod, requested: string | undefined): string | undefined {
  try {
    return chooseTarget(pod, requested).container;
  } catch {
    return undefined;
  }
}
