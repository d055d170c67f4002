/**
 * How progress may look on this terminal: colour (NO_COLOR, TERM=dumb) and
 * Unicode (the locale's character set). Pure: the environment is passed in.
 *
 * - NO_COLOR (https://no-color.org): present and not empty means no colour;
 *   TERM=dumb too.
 * - The character set is the POSIX locale's LC_CTYPE: the first of LC_ALL,
 *   LC_CTYPE, LANG that is set and not empty; none set means the "C" locale.
 *   Only a UTF-8 locale ("C.UTF-8", "en_US.utf8") gets Unicode spinner frames
 *   and symbols; "C", "POSIX" or "en_US.ISO-8859-1" get ASCII. The Linux
 *   console (TERM=linux) lacks the glyphs whatever the locale. Windows has
 *   no such variables: ora's own check applies there.
 */
export interface TerminalStyle {
  color: boolean;
  unicode: boolean;
}

export function terminalStyle(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): TerminalStyle {
  const color = !(env.NO_COLOR !== undefined && env.NO_COLOR !== '') && env.TERM !== 'dumb';
  if (platform === 'win32') return { color, unicode: Boolean(env.WT_SESSION) || env.TERM_PROGRAM === 'vscode' };
  const ctype = [env.LC_ALL, env.LC_CTYPE, env.LANG].find((v) => v !== undefined && v !== '') ?? 'C';
  const unicode = /utf-?8/i.test(ctype) && env.TERM !== 'linux';
  return { color, unicode };
}

export interface Symbols {
  info: string;
  ok: string;
  warn: string;
  waiting: string;
}

export function symbols(style: TerminalStyle): Symbols {
  return style.unicode ? { info: '•', ok: '✔', warn: '!', waiting: '…' } : { info: '*', ok: '+', warn: '!', waiting: '~' };
}

/** ASCII spinner frames (cli-spinners' "line") where Unicode cannot be shown. */
export const ASCII_SPINNER = { interval: 130, frames: ['-', '\\', '|', '/'] };

/** Green, or nothing without colour. */
export function green(text: string, style: TerminalStyle): string {
  return style.color ? `\u001b[32m${text}\u001b[39m` : text;
}
