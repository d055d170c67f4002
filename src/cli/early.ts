/**
 * What the plugin answers from static text, before anything else is loaded:
 * --version and --help/-h. (No arguments at all is bad input, answered by
 * main() with one error line, as kubectl debug does.)
 * bin/kubectl-distroless_debug asks this first, so these cost little more
 * than starting Node (main.js's own imports are ~15 ms of CPU); main() asks
 * it too, so every entry answers alike. A subcommand answers its own.
 */
import { readFileSync } from 'node:fs';
import { ExitCode } from '../errors.js';
import { subcommandOf } from './subcommands.js';

declare const __DD_VERSION__: string | undefined;

export function version(): string {
  // The single executable (scripts/release) has no package.json beside it: esbuild defines the version.
  if (typeof __DD_VERSION__ === 'string') return __DD_VERSION__;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export interface EarlyAnswer {
  /** What goes to stdout. */
  text: string;
  code: number;
}

/** The answer to --version / --help / no arguments, or undefined when the arguments ask for more. */
export async function earlyAnswer(argv: string[]): Promise<EarlyAnswer | undefined> {
  if (subcommandOf(argv)) return undefined;
  // After `--` comes the remote command: its --help is not ours.
  const early = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length);
  if (early.includes('--version')) return { text: `kubectl-distroless_debug v${version()}\n`, code: ExitCode.ok };
  if (early.includes('--help') || early.includes('-h')) {
    const { HELP } = await import('./help.js');
    return { text: HELP, code: ExitCode.ok };
  }
  return undefined;
}
