import tar from 'tar-stream';

/** One entry of a test archive: a file when it has a body, else what `type` says. */
export type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; body?: string; linkname?: string; mode?: number; mtime?: Date };

/** A tar archive made by tar-stream (an independent writer), for the readers under test. */
export function archive(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const { body, ...h } = e;
    if (body !== undefined) pack.entry({ type: 'file', mode: 0o644, ...h }, body);
    else pack.entry({ mode: 0o755, ...h });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  return new Promise<Buffer>((resolve) => {
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
  });
}
