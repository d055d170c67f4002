import type { IncomingMessage } from 'node:http';

/**
 * The body of a refused upgrade (a Kubernetes Status, usually): at most
 * `limit` bytes, and never longer than `timeoutMs`, since a server that sends
 * headers but never finishes the body must not hang the handshake. With
 * `destroy` the response's socket is closed afterwards (it was upgraded for
 * nothing and cannot serve another request).
 */
export function readRefusalBody(res: IncomingMessage, opts: { limit: number; timeoutMs: number; destroy: boolean }): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      res.removeAllListeners('data');
      if (opts.destroy) res.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(done, opts.timeoutMs);
    res.on('data', (c: Buffer) => {
      if (size < opts.limit) chunks.push(c.subarray(0, opts.limit - size));
      size += c.length;
    });
    res.once('end', done);
    res.once('error', done);
    res.once('close', done);
  });
}
