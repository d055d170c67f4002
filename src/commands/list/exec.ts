import { Writable } from 'node:stream';
import type { ClusterConnection } from '../../kubeconfig/load.js';
import { runStream } from '../../stream/client.js';

export interface Captured {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

function collector(limit: number): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    stream: new Writable({
      write(c: Buffer, _e, done) {
        // A short answer is expected; anything past the limit is dropped, not held.
        if (size < limit) chunks.push(c.subarray(0, limit - size));
        size += c.length;
        done();
      },
    }),
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

/** A short non-interactive exec (no stdin, no tty) whose output is collected. Rejects with the stream's typed errors. */
export async function execCapture(
  conn: ClusterConnection,
  where: { namespace: string; pod: string; container: string },
  command: string[],
  signal?: AbortSignal,
): Promise<Captured> {
  const out = collector(64 * 1024);
  const err = collector(64 * 1024);
  const result = await runStream(
    {
      server: conn.server,
      requestOptions: await conn.requestOptions(),
      namespace: where.namespace,
      pod: where.pod,
      container: where.container,
      kind: 'exec',
      command,
      stdin: false,
      tty: false,
      ...(conn.requestTimeoutMs !== undefined ? { handshakeTimeoutMs: Math.min(30_000, conn.requestTimeoutMs) } : {}),
    },
    { stdout: out.stream, stderr: err.stream },
    signal,
  );
  return { exitCode: result.exitCode, stdout: out.text(), stderr: err.text() };
}

/** Runs `f` over `items`, at most `limit` at a time. */
export async function inParallel<T, R>(items: T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await f(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
