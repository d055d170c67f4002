import { readFileSync } from 'node:fs';
import { DebugError, ExitCode, exitCodeOf } from '../errors.js';
import type { ProgressSink } from '../progress/events.js';

export interface MainIO {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

declare const __DD_VERSION__: string | undefined;

export function version(): string {
  // The single executable (scripts/release) has no package.json beside it: esbuild defines the version.
  if (typeof __DD_VERSION__ === 'string') return __DD_VERSION__;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * The command: parse, convert and validate every flag (no network), then run.
 * Returns the exit code; errors become one line on stderr, never a stack
 * trace (-v adds the details and cause chain).
 */
export async function main(argv: string[], io: MainIO = process): Promise<number> {
  const early = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length);
  if (early.includes('--version')) {
    io.stdout.write(`kubectl-distroless_debug v${version()}\n`);
    return ExitCode.ok;
  }
  if (early.includes('--help') || early.includes('-h') || argv.length === 0) {
    const { HELP } = await import('./help.js');
    io.stdout.write(HELP);
    return argv.length === 0 ? ExitCode.usage : ExitCode.ok;
  }
  const verbose = early.some((a) => /^(-v|--v|--verbose)(=\d+)?$/.test(a));
  let sink: ProgressSink | undefined;
  const onSigint = () => {
    sink?.close();
    io.stderr.write('distroless-debug: interrupted\n');
    process.exit(ExitCode.interrupted);
  };
  process.on('SIGINT', onSigint);
  try {
    const { parseArgs } = await import('./args.js');
    const { toOptions } = await import('./options.js');
    const options = toOptions(parseArgs(argv), io.env);
    sink = await chooseSink(options.quiet, options.verbose, io.stderr);
    const { runDebug } = await import('../session/run.js');
    const activeSink = sink;
    const code = await runDebug(options, {
      ...io,
      emit: (e) => {
        // The session owns the terminal from 'ready' on: stop the spinner first.
        activeSink.emit(e);
        if (e.kind === 'ready') activeSink.close();
      },
      random: Math.random,
    });
    return code;
  } catch (err) {
    sink?.close();
    reportError(err, verbose, io.stderr);
    return exitCodeOf(err);
  } finally {
    sink?.close();
    process.off('SIGINT', onSigint);
  }
}

async function chooseSink(quiet: boolean, verbose: boolean, stderr: NodeJS.WriteStream): Promise<ProgressSink> {
  const { lineSink, quietSink, spinnerSink } = await import('../progress/sinks.js');
  if (quiet) return quietSink;
  // A terminal that reports no width (e.g. a bare pseudo-terminal) would make
  // the spinner's line arithmetic divide by zero: plain lines there.
  if (stderr.isTTY && (stderr.columns ?? 0) > 0) return spinnerSink(stderr, verbose);
  return lineSink(stderr, verbose);
}

export function reportError(err: unknown, verbose: boolean, stderr: NodeJS.WritableStream): void {
  const message = err instanceof DebugError ? err.message : `internal error: ${err instanceof Error ? err.message : String(err)}; please report it with the output of -v`;
  stderr.write(`error: ${message}\n`);
  if (!verbose) return;
  if (err instanceof DebugError) for (const d of err.details) stderr.write(`  detail: ${d}\n`);
  let cause: unknown = err instanceof Error ? err.cause : undefined;
  while (cause) {
    stderr.write(`  cause: ${cause instanceof Error ? cause.message : String(cause)}\n`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  if (!(err instanceof DebugError) && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
}

