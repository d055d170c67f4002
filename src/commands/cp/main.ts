import type { MainIO } from '../../cli/main.js';

/**
 * `kubectl distroless-debug cp SOURCE DESTINATION`: see src/copy/. Loaded only
 * when the first word is `cp` (src/cli/subcommands.ts).
 */
export async function run(argv: string[], io: MainIO): Promise<number> {
  const early = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (early.includes('--help') || early.includes('-h')) {
    const { CP_HELP } = await import('../../copy/args.js');
    io.stdout.write(CP_HELP);
    return 0;
  }
  // Both at once: the copy's module graph (the session's, mostly) loads while the arguments are read.
  // A bad argument still fails before any network call: loading modules is not one.
  const [{ parseCopyArgs }, { runCopy }] = await Promise.all([import('../../copy/args.js'), import('../../copy/transfer.js')]);
  return runCopy(parseCopyArgs(argv, io.env), io);
}
