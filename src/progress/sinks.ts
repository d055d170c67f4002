import type { Ora } from 'ora';
import type { ProgressEvent, ProgressSink } from './events.js';
import { ASCII_SPINNER, green, symbols, terminalStyle, type TerminalStyle } from './style.js';

const PREFIX = 'distroless-debug: ';

export function formatLine(e: ProgressEvent): string | undefined {
  switch (e.kind) {
    case 'info':
    case 'ready':
      return PREFIX + e.text;
    case 'warn':
      return `${PREFIX}warning: ${e.text}`;
    case 'waiting':
      return `${PREFIX}debugger waiting: ${e.reason}${e.message ? `: ${e.message.replace(/\s+/g, ' ')}` : ''}`;
    case 'debug':
      return `${PREFIX}[debug] ${e.text}`;
    case 'timing':
      return `${PREFIX}[timing] ${e.phase} ${e.ms} ms`;
    case 'step':
      return undefined;
  }
}

/** Plain lines on a stream: predictable output for runbooks and logs. */
export function lineSink(out: { write(s: string): unknown }, verbose: boolean): ProgressSink {
  return {
    emit(e) {
      if (!verbose && (e.kind === 'debug' || e.kind === 'timing')) return;
      const line = formatLine(e);
      if (line !== undefined) out.write(line + '\n');
    },
    close() {},
  };
}

export const quietSink: ProgressSink = { emit() {}, close() {} };

/**
 * A spinner on the terminal's stderr, with decisions kept above it. Colour
 * and Unicode follow NO_COLOR and the locale (style.ts).
 */
export async function spinnerSink(stream: NodeJS.WriteStream, verbose: boolean, style: TerminalStyle = terminalStyle(process.env)): Promise<ProgressSink> {
  const { default: ora } = await import('ora');
  const sym = symbols(style);
  let spinner: Ora | undefined;
  const persist = (symbol: string, text: string) => {
    if (spinner?.isSpinning) {
      const current = spinner.text;
      spinner.stopAndPersist({ symbol, text });
      spinner.start(current);
    } else {
      stream.write(`${symbol} ${text}\n`);
    }
  };
  return {
    emit(e) {
      switch (e.kind) {
        case 'step':
          if (!spinner) {
            spinner = ora({
              stream,
              discardStdin: false,
              hideCursor: true,
              color: style.color ? 'cyan' : false,
              ...(style.unicode ? { spinner: 'dots' as const } : { spinner: ASCII_SPINNER }),
            });
          }
          spinner.start(e.text);
          return;
        case 'info':
          return persist(sym.info, e.text);
        case 'ready':
          // Our own symbol, not ora's succeed(): log-symbols ignores the locale and NO_COLOR.
          if (spinner?.isSpinning) spinner.stopAndPersist({ symbol: green(sym.ok, style), text: e.text });
          else stream.write(`${green(sym.ok, style)} ${e.text}\n`);
          return;
        case 'warn':
          return persist(sym.warn, e.text);
        case 'waiting':
          persist(sym.waiting, (formatLine(e) ?? '').slice(PREFIX.length));
          return;
        case 'debug':
        case 'timing':
          if (verbose) persist(' ', (formatLine(e) ?? '').slice(PREFIX.length));
          return;
      }
    },
    close() {
      if (spinner?.isSpinning) spinner.stop();
    },
  };
}
