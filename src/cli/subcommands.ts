import type { MainIO } from './main.js';

/**
 * Subcommands (`cp`, `list`, `stop`, ...) live in their own modules under
 * src/commands/<name>/ and are loaded only when named, so a session pays
 * nothing for them. Each returns its exit code and throws typed errors
 * (src/errors.ts), which main() reports like any other.
 *
 * A pod whose name is a subcommand's is reached as `pod/NAME`.
 */
export type SubcommandRun = (argv: string[], io: MainIO) => Promise<number>;

export type SubcommandLoader = () => Promise<{ run: SubcommandRun }>;

const SUBCOMMANDS: Record<string, SubcommandLoader> = {
  // name: () => import('../commands/name/main.js'),
  list: () => import('../commands/list/main.js'),
  stop: () => import('../commands/stop/main.js'),
  cp: () => import('../commands/cp/main.js'),
};

export function subcommandOf(argv: string[]): SubcommandLoader | undefined {
  const first = argv[0];
  return first !== undefined && Object.hasOwn(SUBCOMMANDS, first) ? SUBCOMMANDS[first] : undefined;
}
