import { PassThrough, type Readable } from 'node:stream';

/**
 * Piped stdin for a session that may be refused before anything ran.
 *
 * While the kubelet has not reported the debugger running, an exec can be
 * accepted by the API server and then refused by the kubelet ("container not
 * found") after it has already read some of stdin, or all of it and its end.
 * The refusal proves nothing ran, so the next attempt must see the same input
 * from the start: every attempt gets its own stream that replays what was read
 * so far, then follows the source. Once an attempt is known to have started
 * (`settle`), the record is dropped and memory stays bounded by the streams'
 * own buffers. Until then at most `limit` bytes are kept; past that the source
 * is paused until the outcome is known.
 */
export class ReplayableInput {
  private record: Buffer[] = [];
  private recorded = 0;
  private recording = true;
  private ended = false;
  private current: PassThrough | undefined;
  private started = false;

  constructor(
    private readonly source: NodeJS.ReadableStream,
    private readonly limit = 32 << 20,
  ) {}

  /** A fresh stream for the next attempt, replaying everything read so far. */
  attempt(): Readable {
    this.current?.destroy();
    const out = new PassThrough();
    this.current = out;
    for (const chunk of this.record) out.write(chunk);
    if (this.ended) out.end();
    out.on('drain', () => this.flow());
    this.begin();
    return out;
  }

  /** The current attempt started for real: nothing needs replaying any more. */
  settle(): void {
    if (!this.recording) return;
    this.recording = false;
    this.record = [];
    this.recorded = 0;
    this.flow();
  }

  /** Stops reading the source (the session is over). */
  close(): void {
    this.source.removeListener('data', this.onData);
    this.source.removeListener('end', this.onEnd);
    this.source.pause();
    this.current?.destroy();
    this.current = undefined;
  }

  private begin(): void {
    if (this.started) return;
    this.started = true;
    this.source.on('data', this.onData);
    this.source.once('end', this.onEnd);
    this.source.resume();
  }

  private readonly onData = (chunk: Buffer | string): void => {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.recording) {
      this.record.push(buf);
      this.recorded += buf.length;
    }
    const more = this.current?.write(buf) ?? true;
    if (!more || (this.recording && this.recorded >= this.limit)) this.source.pause();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.current?.end();
  };

  private flow(): void {
    if (this.ended || !this.started) return;
    if (this.recording && this.recorded >= this.limit) return;
    if (this.current && this.current.writableNeedDrain) return;
    this.source.resume();
  }
}
