/**
 * kubectl's -v takes a level (`-v=6`, `-v 6`, `--v=6`); level 0 is kubectl's
 * default, so it means "not verbose" here too. A bare `-v` or `--verbose` is
 * ours: verbose. Shared by the parser and by main's early error reporting,
 * which must decide before parsing whether a failure shows its details.
 */
export const VERBOSITY_FLAG = /^(-v|--v)(=(\d+))?$/;

/** The level a -v word (and the word after it) gives, and how many words it took; undefined if `word` is not one. */
export function verbosityAt(word: string, next: string | undefined): { level: number; words: 1 | 2 } | undefined {
  const m = VERBOSITY_FLAG.exec(word);
  if (!m) return undefined;
  if (m[3] !== undefined) return { level: Number(m[3]), words: 1 };
  if (next !== undefined && /^\d+$/.test(next)) return { level: Number(next), words: 2 };
  return { level: 1, words: 1 };
}

/** Whether the words before `--` ask for verbose output (the last -v wins, as in kubectl). */
export function isVerbose(argv: readonly string[]): boolean {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
  let verbose = false;
  for (let i = 0; i < end; i++) {
    const a = argv[i] as string;
    if (a === '--verbose') verbose = true;
    const v = verbosityAt(a, i + 1 < end ? argv[i + 1] : undefined);
    if (!v) continue;
    verbose = v.level > 0;
    i += v.words - 1;
  }
  return verbose;
}
