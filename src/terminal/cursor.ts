/**
 * Where the terminal's cursor is, as far as this process can tell: at the
 * start of a line or after some remote output (a prompt). The plugin's own
 * last words (a lost connection, a signal) must start on their own line, not
 * after `/ $ `.
 */
let atLineStart = true;

/** Records output that went to the terminal. */
export function noteOutput(data: Uint8Array | string): void {
  if (data.length === 0) return;
  const last = typeof data === 'string' ? data.charCodeAt(data.length - 1) : data[data.length - 1];
  atLineStart = last === 0x0a;
}

/** What to write before a message so that it starts a line ('' or CR LF). */
export function freshLine(): string {
  if (atLineStart) return '';
  // CR LF: the terminal may still be without output post-processing (raw).
  atLineStart = true;
  return '\r\n';
}
