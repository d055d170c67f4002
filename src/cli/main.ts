import { DebugError, ExitCode, exitCodeOf } from '../errors.js';
import type { ProgressEvent, ProgressSink } from '../progress/events.js';
import { freshLine } from '../terminal/cursor.js';
import { trackChildren } from '../process/children.js';
import { earlyAnswer } from './early.js';
import type { SubcommandLoader } from './subcommands.js';
import { isVerbose } from './verbosity.js';
import { endProcess, handleSignals, isEnding, onShutdown } from './shutdown.js';

export interface MainIO {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

// The plugin's version lives with the other static answers (early.ts).
export { version } from './early.js';

/**
 * The command: parse, convert and validate every flag (no network), then run.
 * Returns the exit code; errors become one line on stderr, never a stack
 * trace (-v adds the details and cause chain).
 */
export async function main(argv: string[], io: MainIO = process): Promise<number> {
  const { subcommandOf } = await import('./subcommands.js');
  const subcommand = subcommandOf(argv);
  if (subcommand) return runSubcommand(subcommand, argv.slice(1), io);
  const answer = await earlyAnswer(argv);
  if (answer) {
    io.stdout.write(answer.text);
    return answer.code;
  }
  const verbose = isVerbose(argv);
  let sink: ProgressSink | undefined;
  // Signals end the run in every phase (src/cli/shutdown.ts); the spinner stops first.
  trackChildren();
  const offSignals = handleSignals(io.stderr);
  const offSink = onShutdown(() => sink?.close());
  try {
    const { parseArgs } = await import('./args.js');
    const { toOptions } = await import('./options.js');
    const options = toOptions(parseArgs(argv), io.env);
    // The kubeconfig, the remembered debugger and its connection, while the session code loads.
    const { headStart } = await import('../session/head-start.js');
    const head = headStart(options, io.env);
    sink = await chooseSink(options.quiet, options.verbose, io.stderr, io.env);
    const { runDebug } = await import('../session/run.js');
    const activeSink = sink;
    const runIO = {
      ...io,
      emit: (e: ProgressEvent) => {
        // The session owns the terminal from 'ready' on: stop the spinner first.
        activeSink.emit(e);
        if (e.kind === 'ready') activeSink.close();
      },
      random: Math.random,
    };
    const code = await runDebug(options, runIO, undefined, {}, head);
    return code;
  } catch (err) {
    sink?.close();
    // A signal is ending the process (endProcess prints and exits): a failure
    // it caused (a killed credential plugin) is not news.
    if (isEnding()) return new Promise<never>(() => {});
    reportError(err, verbose, io.stderr);
    return exitCodeOf(err);
  } finally {
    sink?.close();
    offSink();
    offSignals();
  }
}

/** A subcommand owns its flags and help; errors and signals are handled as for a session. */
async function runSubcommand(load: SubcommandLoader, argv: string[], io: MainIO): Promise<number> {
  const verbose = isVerbose(argv);
  trackChildren();
  const offSignals = handleSignals(io.stderr);
  try {
    const { run } = await load();
    return await run(argv, io);
  } catch (err) {
    if (isEnding()) return new Promise<never>(() => {});
    reportError(err, verbose, io.stderr);
    return exitCodeOf(err);
  } finally {
    offSignals();
  }
}


/**
 * The executable's whole life: bin/kubectl-distroless_debug and the single
 * executable both run this. A crash anywhere (an exception thrown from an
 * event handler, a rejection nobody awaited) becomes exit 79 with one line,
 * the terminal restored; the stack only with -v.
 */
export function runCli(argv: string[]): void {
  const verbose = isVerbose(argv);
  const crash = (err: unknown): void => {
    const lines: string[] = [];
    reportError(err, verbose, { write: (s: string) => lines.push(s) });
    void endProcess(ExitCode.internal, lines.join('').replace(/\n$/, ''));
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  main(argv).then(async (code) => {
    if (isEnding()) return; // endProcess decides the code
    process.exitCode = code;
    // Exit as soon as everything written has left: an idle keep-alive socket
    // (the pod read that ran beside the exec) or a paused terminal must not
    // hold a finished session, not even for a moment.
    await Promise.all([drained(process.stdout), drained(process.stderr)]);
    process.exit(code);
  }, crash);
}

/** Resolves once every earlier write to `out` has been handed to the OS. */
function drained(out: NodeJS.WriteStream): Promise<void> {
  if (out.destroyed || out.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    out.write('', () => resolve());
    // A reader that stopped reading (a full pipe) must not keep us forever.
    setTimeout(resolve, 2000).unref();
  });
}

async function chooseSink(quiet: boolean, verbose: boolean, stderr: NodeJS.WriteStream, env: NodeJS.ProcessEnv): Promise<ProgressSink> {
  const { lineSink, quietSink, spinnerSink } = await import('../progress/sinks.js');
  const { terminalStyle } = await import('../progress/style.js');
  if (quiet) return quietSink;
  // A terminal that reports no width (e.g. a bare pseudo-terminal) would make
  // the spinner's line arithmetic divide by zero: plain lines there.
  if (stderr.isTTY && (stderr.columns ?? 0) > 0) return spinnerSink(stderr, verbose, terminalStyle(env));
  return lineSink(stderr, verbose);
}

export function reportError(err: unknown, verbose: boolean, stderr: { write(s: string): unknown }): void {
  const message = err instanceof DebugError ? err.message : `internal error: ${err instanceof Error ? err.message : String(err)}; please report it with the output of -v`;
  // After a remote prompt the cursor is mid-line: the error starts its own.
  stderr.write(`${freshLine()}error: ${oneLine(message)}\n`);
  if (!verbose) return;
  if (err instanceof DebugError) for (const d of err.details) stderr.write(`  detail: ${d}\n`);
  let cause: unknown = err instanceof Error ? err.cause : undefined;
  while (cause) {
    stderr.write(`  cause: ${cause instanceof Error ? cause.message : String(cause)}\n`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  if (!(err instanceof DebugError) && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
}

/** Messages from libraries (e.g. a credential plugin's stderr) may span lines: the error is one. */
function oneLine(message: string): string {
  return message.trim().replace(/\s*\n\s*/g, ' ');
}
