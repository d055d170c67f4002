import { closeSync, openSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { ConfigError } from '../errors.js';
import type { Emit } from '../progress/events.js';

/**
 * --record FILE: the session as an asciicast v2 file (what any asciinema
 * player replays). One JSON header line, then one line per event:
 * `[seconds, "o", text]` for what the screen showed, `[seconds, "i", text]`
 * for what was typed (only with --record-input: input holds passwords), and
 * `[seconds, "r", "COLSxROWS"]` when the terminal is resized.
 *
 * Every line is written with one synchronous write as it happens, so a
 * dropped connection, a crash or a SIGKILL leaves a valid recording up to
 * that moment; nothing is buffered in this process.
 */
export interface AsciicastHeader {
  version: 2;
  width: number;
  height: number;
  timestamp: number;
  title?: string;
  env: Record<string, string>;
}

export class SessionRecorder {
  private readonly fd: number;
  private readonly t0: number;
  private readonly decoders = new Map<'o' | 'i', StringDecoder>();
  private closed = false;
  private readonly now: () => number;

  constructor(
    readonly file: string,
    header: Omit<AsciicastHeader, 'version' | 'timestamp'>,
    readonly recordInput: boolean,
    now: () => number = Date.now,
  ) {
    try {
      // 0600: a session's output can hold secrets (the app's files, its environment).
      this.fd = openSync(file, 'w', 0o600);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new ConfigError(`cannot write the recording to ${file} (${code}); pick a writable path for --record`, { cause: err });
    }
    this.now = now;
    this.t0 = now();
    const full: AsciicastHeader = { version: 2, width: header.width, height: header.height, timestamp: Math.floor(this.t0 / 1000), ...(header.title ? { title: header.title } : {}), env: header.env };
    this.line(JSON.stringify(full));
  }

  output(data: Buffer): void {
    this.event('o', data);
  }

  input(data: Buffer): void {
    if (this.recordInput) this.event('i', data);
  }

  resize(cols: number, rows: number): void {
    this.write([this.elapsed(), 'r', `${cols}x${rows}`]);
  }

  close(): void {
    if (this.closed) return;
    // A multi-byte character cut at the very end is written as what is left of it.
    for (const [code, d] of this.decoders) {
      const rest = d.end();
      if (rest) this.write([this.elapsed(), code, rest]);
    }
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      // already gone
    }
  }

  private event(code: 'o' | 'i', data: Buffer): void {
    let d = this.decoders.get(code);
    if (!d) this.decoders.set(code, (d = new StringDecoder('utf8')));
    // A chunk may end inside a UTF-8 sequence: the decoder keeps the tail for the next one.
    const text = d.write(data);
    if (text) this.write([this.elapsed(), code, text]);
  }

  private elapsed(): number {
    return Math.round(this.now() - this.t0) / 1000;
  }

  private write(event: [number, string, string]): void {
    this.line(JSON.stringify(event));
  }

  private line(text: string): void {
    if (this.closed) return;
    const buf = Buffer.from(`${text}\n`, 'utf8');
    let off = 0;
    try {
      while (off < buf.length) off += writeSync(this.fd, buf, off);
    } catch {
      // A full disk must not end the session: the recording just stops growing.
      this.closed = true;
    }
  }
}

/** The recorder of a run, found by the run's progress function (one per run, like terminal-stream's per-run state). */
const recorders = new WeakMap<Emit, SessionRecorder>();

export function setRecorder(emit: Emit, recorder: SessionRecorder): void {
  recorders.set(emit, recorder);
}

export function recorderFor(emit: Emit): SessionRecorder | undefined {
  return recorders.get(emit);
}

/** The header's env: what a player needs to render it as it looked (asciinema records SHELL and TERM). */
export function recordingEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.TERM) out.TERM = env.TERM;
  if (env.SHELL) out.SHELL = env.SHELL;
  return out;
}
