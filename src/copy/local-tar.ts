/**
 * This machine's side of `cp`: a tar stream read into the local file system,
 * or written from it, one entry at a time (memory does not grow with file
 * size: each file is piped through with backpressure).
 *
 * tar-stream does the format (ustar, GNU long names and pax headers, which
 * BusyBox writes for long paths); it was already in the tree (client-node ->
 * tar-fs) and is small, streaming and widely used. Everything about where
 * bytes may land is ours: see safety.ts.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  futimesSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  promises as fsp,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import {
  CopyFailedError,
  PathKindError,
  PathNotFoundError,
  PathPermissionError,
  ReadOnlyFilesystemError,
  type DebugError,
} from '../errors.js';
import { describeRefusal, entryComponents, isRefusal, linkStaysInside } from './safety.js';
import { BLOCK, encodeHeader, END_OF_ARCHIVE, padding } from './tar-header.js';

/** Files keep their permission bits, never set-user/group-ID or sticky bits from another machine. */
const MODE_BITS = 0o777;
/**
 * Local reads and writes in chunks this big: every chunk is a trip through
 * the stream layers (and a WebSocket frame going up), and a small write
 * buffer makes every chunk push back on the connection (pausing the socket).
 */
const IO_CHUNK = 256 << 10;
/** Files up to this size are read in one go (5,000 small files: one read each instead of a stream). */
const SMALL_FILE = 256 << 10;
/**
 * The archive goes up in writes of about this size: tar-stream hands out each
 * header, body and padding as its own buffer, and every buffer would become
 * its own WebSocket frame (5,000 small files: 15,000 frames of 512 bytes).
 */
const SEND_CHUNK = 64 << 10;
/** The placeholder top for a copy of the app's whole root (linkStaysInside needs one). */
const ROOT_TOP = '';

export interface UnpackResult {
  entries: number;
  /** Warnings about entries not written (refused as unsafe, unsupported types). */
  skipped: string[];
}

/** A local file system error, as the typed error a user sees. */
export function localFsError(err: unknown, what: string): DebugError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return new PathNotFoundError(`${what}: no such file or directory on this machine; check the path`);
    case 'EACCES':
    case 'EPERM':
      return new PathPermissionError(`${what}: permission denied on this machine; pick a path you can ${what.startsWith('cannot write') ? 'write' : 'read'}`);
    case 'EROFS':
      return new ReadOnlyFilesystemError(`${what}: the local file system is read-only; copy to a writable directory`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new CopyFailedError(`${what}: no space left on this machine's disk; free some space or copy elsewhere`);
    case 'ENOTDIR':
      return new PathKindError(`${what}: a part of the path is a file, not a directory`);
    default:
      return undefined;
  }
}

/**
 * Entry by entry, the local side uses synchronous calls: each is a few
 * microseconds, where a promise-based call is a trip through libuv's thread
 * pool, and a directory of 5,000 small files makes 25,000 of them. Only big
 * files stream (asynchronously, with backpressure).
 */
function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The process' umask, read once (a mode given to open() loses these bits). */
const UMASK = process.umask();

/** Opens a new file, or undefined when something is already there (then the caller opens it as it is). */
function openExclusive(at: string, flags: number, mode: number): number | undefined {
  try {
    return openSync(at, flags | constants.O_EXCL, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  }
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fsp.stat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Before anything changes in the cluster: the local destination can receive
 * a copy (it is a directory, or its parent is one).
 */
export async function checkLocalDestination(dest: string): Promise<void> {
  const st = await fsp.stat(dest).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
  if (st) return;
  const parent = path.dirname(path.resolve(dest));
  const pst = await fsp.stat(parent).catch((err: NodeJS.ErrnoException) => {
    throw localFsError(err, `cannot write ${dest}`) ?? err;
  });
  if (!pst.isDirectory()) throw new PathKindError(`cannot write ${dest}: ${parent} is a file, not a directory`);
}

/** An entry's body as tar-stream hands it out (a streamx Readable). */
type EntryStream = AsyncIterable<Buffer> & NodeJS.EventEmitter;

/**
 * A small entry's whole body. Events, not `for await`: the async iterator
 * costs a few promise turns per entry, which 5,000 small files notice.
 */
function readAll(stream: EntryStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

interface PendingDir {
  at: string;
  mode: number;
  mtime: Date | undefined;
}

/**
 * Reads a tar stream into `dest` with cp's rules: an existing directory
 * receives the copied item under its own name (`top`); otherwise `dest` is
 * its new name. Entries are refused (skipped, with a warning) when their name
 * is absolute or climbs with "..", when they are not under the copied item,
 * when a link would point outside the copy, or when a path on their way is a
 * link (nothing is ever written through a link). Directory modes and times
 * are set last, so read-only directories still receive their files.
 */
export interface Unpacker {
  input: Writable;
  /** Settles once every entry is written; rejects with the first local failure, or a broken archive. */
  done: Promise<UnpackResult>;
  /** A local write failed (disk full, permission...): that, not the remote side, is the story. */
  localFailure(): unknown;
}

export function localUnpacker(opts: { dest: string; top: string; warn: (line: string) => void }): Unpacker {
  const extract = tar.extract();
  const result: UnpackResult = { entries: 0, skipped: [] };
  const dirs: PendingDir[] = [];
  const checked = new Set<string>();
  /** Directories this copy created (empty before it): what is in them, this copy made (`made`). */
  const fresh = new Set<string>();
  const made = new Set<string>();
  let destTop: string | undefined;
  const skip = (line: string) => {
    result.skipped.push(line);
    opts.warn(line);
  };

  const placeFirst = async (isDir: boolean): Promise<string> => {
    const st = await statOrUndefined(opts.dest);
    if (st?.isDirectory()) return opts.top === ROOT_TOP ? opts.dest : path.join(opts.dest, opts.top);
    if (st && isDir) throw new PathKindError(`cannot copy the directory ${opts.top || '/'} onto ${opts.dest}: it is a file; give a directory or a new name`);
    const parent = path.dirname(path.resolve(opts.dest));
    const pst = await statOrUndefined(parent);
    if (!pst) throw new PathNotFoundError(`cannot write ${opts.dest}: ${parent} does not exist on this machine; create it first`);
    if (!pst.isDirectory()) throw new PathKindError(`cannot write ${opts.dest}: ${parent} is a file, not a directory`);
    return opts.dest;
  };

  /**
   * Every directory between the top and `rel`'s last component is a real
   * directory, not a link (nor missing: its entry was refused).
   */
  const noLinkOnTheWay = async (top: string, rel: string[]): Promise<boolean> => {
    let at = top;
    for (const comp of rel.slice(0, -1)) {
      at = path.join(at, comp);
      if (checked.has(at)) continue;
      const st = lstatOrUndefined(at);
      if (!st?.isDirectory()) return false;
      checked.add(at);
    }
    return true;
  };

  const handle = async (header: tar.Header, stream: EntryStream): Promise<void> => {
    const comps = entryComponents(header.name);
    if (isRefusal(comps)) {
      skip(describeRefusal(header.name, comps.reason));
      return;
    }
    let rel: string[];
    if (opts.top === ROOT_TOP) rel = comps;
    else if (comps[0] !== opts.top) {
      skip(describeRefusal(header.name, `it is not under ${opts.top}`));
      return;
    } else rel = comps.slice(1);
    if (destTop === undefined) {
      if (rel.length > 0) {
        skip(describeRefusal(header.name, 'it comes before its directory'));
        return;
      }
      destTop = await placeFirst(header.type === 'directory');
    }
    const at = rel.length === 0 ? destTop : path.join(destTop, ...rel);
    if (!(await noLinkOnTheWay(destTop, rel))) {
      skip(describeRefusal(header.name, 'a link, a file or a refused entry stands on its way'));
      return;
    }
    const mode = (header.mode ?? 0o644) & MODE_BITS;
    const mtime = header.mtime;
    // Into a directory this copy created, only this copy's own entries can be in the way: no need to ask the disk.
    const existing = fresh.has(path.dirname(at)) && !made.has(at) ? undefined : lstatOrUndefined(at);
    made.add(at);
    switch (header.type) {
      case 'directory': {
        if (existing && !existing.isDirectory()) {
          if (existing.isSymbolicLink() || rel.length > 0) unlinkSync(at);
          else throw new PathKindError(`cannot copy a directory onto ${at}: it is a file`);
        }
        if (!existing?.isDirectory()) {
          mkdirSync(at, { mode: 0o700 });
          fresh.add(at);
        }
        checked.add(at);
        dirs.push({ at, mode, mtime });
        break;
      }
      case 'file':
      case 'contiguous-file': {
        if (existing?.isDirectory()) throw new PathKindError(`cannot copy a file onto ${at}: it is a directory`);
        if (existing?.isSymbolicLink()) unlinkSync(at);
        // O_NOFOLLOW: a link that appeared meanwhile is not followed either.
        const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
        if (header.size <= SMALL_FILE) {
          const body = await readAll(stream);
          // A file this call creates (O_EXCL proves it) already has its mode, unless the umask took bits away.
          let fd: number | undefined;
          if (!existing && (mode & UMASK) === 0) fd = openExclusive(at, flags, mode);
          const created = fd !== undefined;
          fd ??= openSync(at, flags, mode);
          try {
            for (let off = 0; off < body.length; ) off += writeSync(fd, body, off);
            if (!created) fchmodSync(fd, mode);
            if (mtime) futimesSync(fd, mtime, mtime);
          } finally {
            closeSync(fd);
          }
          break;
        }
        const fh = await fsp.open(at, flags, mode);
        await pipeline(stream, fh.createWriteStream({ highWaterMark: IO_CHUNK }));
        await fsp.chmod(at, mode);
        if (mtime) await fsp.utimes(at, mtime, mtime);
        break;
      }
      case 'symlink': {
        const target = header.linkname ?? '';
        if (!linkStaysInside([opts.top, ...rel], target)) {
          skip(describeRefusal(header.name, `it is a link to "${target}"`));
          return;
        }
        if (existing?.isDirectory()) throw new PathKindError(`cannot copy a link onto ${at}: it is a directory`);
        if (existing) unlinkSync(at);
        symlinkSync(target, at);
        checked.delete(at);
        if (mtime) {
          try {
            lutimesSync(at, mtime, mtime);
          } catch {
            // not every file system keeps a link's own time
          }
        }
        break;
      }
      case 'link': {
        const lcomps = entryComponents(header.linkname ?? '');
        const lrel = isRefusal(lcomps) ? undefined : opts.top === ROOT_TOP ? lcomps : lcomps[0] === opts.top ? lcomps.slice(1) : undefined;
        const from = lrel ? path.join(destTop, ...lrel) : undefined;
        const fromStat = from ? lstatOrUndefined(from) : undefined;
        if (!from || !fromStat?.isFile()) {
          skip(describeRefusal(header.name, `it is a hard link to "${header.linkname ?? ''}", not a file of this copy`));
          return;
        }
        if (existing) unlinkSync(at);
        linkSync(from, at);
        break;
      }
      default:
        skip(`skipped "${header.name}": a ${header.type} cannot be copied (only files, directories and links)`);
        return;
    }
    result.entries++;
  };

  let failure: unknown;
  let sinceYield = 0;
  extract.on('entry', (header, stream, next) => {
    // A damaged archive errors the entry's stream too; the extract's own 'error' tells it.
    stream.on('error', () => undefined);
    handle(header, stream as unknown as EntryStream).then(
      () => {
        stream.resume();
        // Synchronous writes and already-buffered entries would otherwise run
        // back to back without the event loop reading the connection (pings,
        // the next frames): give it a turn every few entries.
        if (++sinceYield < 32) return next();
        sinceYield = 0;
        setImmediate(next);
      },
      (err: unknown) => {
        failure ??= err;
        stream.resume();
        next();
      },
    );
  });

  const done = new Promise<UnpackResult>((resolve, reject) => {
    extract.on('error', (err: Error) => reject(failure ?? err));
    extract.on('finish', () => {
      void (async () => {
        if (failure) throw failure;
        // Deepest first: a directory's own time is set after its children changed it.
        for (const d of dirs.reverse()) {
          await fsp.chmod(d.at, d.mode);
          if (d.mtime) await fsp.utimes(d.at, d.mtime, d.mtime);
        }
        return result;
      })().then(resolve, (err: unknown) => reject(localFsError(err, `cannot write ${opts.dest}`) ?? err));
    });
  }).catch((err: unknown) => {
    throw localFsError(err, `cannot write ${opts.dest}`) ?? err;
  });
  // Awaited only once the stream ends: a rejection before that is not unhandled.
  done.catch(() => undefined);

  // A Node Writable in front of tar-stream's own stream: the exec pump writes
  // with Node's contract (write() false, then 'drain').
  const input = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) {
      // A local failure ends the transfer: the pump sees the error and closes the stream.
      if (failure) return cb(localFsError(failure, `cannot write ${opts.dest}`) ?? (failure instanceof Error ? failure : new Error(String(failure))));
      if (extract.write(chunk)) cb();
      else extract.once('drain', () => cb());
    },
    final(cb) {
      extract.end(undefined);
      cb();
    },
  });
  // Only a file system error is local: a broken archive (the pod's tar died) is the remote side's story.
  const localFailure = (): unknown => {
    if (failure === undefined) return undefined;
    if (failure instanceof Error && !(failure as NodeJS.ErrnoException).code && !('code' in failure && typeof failure.code === 'string')) return undefined;
    return localFsError(failure, `cannot write ${opts.dest}`) ?? failure;
  };
  return { input, done, localFailure };
}

export interface PackSource {
  /** The copied item's name in the archive (its base name). */
  name: string;
  kind: 'f' | 'd';
  /** Bytes of file content, for the progress bar. */
  size: number;
  /** Entries refused (links pointing out) or unreadable, as warnings. */
  skipped: string[];
  stream: Readable;
}

interface Item {
  rel: string[];
  abs: string;
  st: Stats;
  link?: string;
}

/**
 * Writes `src` as a tar whose one top entry is ./NAME. The source itself is
 * followed when it is a link (cp -R -H); links inside it are kept as links,
 * except links that would point outside the copy, which are refused (the
 * pod would otherwise get a link into its own /etc, say). Checked before
 * anything changes in the cluster: a missing or unreadable source fails here.
 */
export async function localPacker(src: string, warn: (line: string) => void): Promise<PackSource> {
  const abs = path.resolve(src);
  const st = await fsp.stat(abs).catch((err: unknown) => {
    throw localFsError(err, `cannot read ${src}`) ?? err;
  });
  const name = path.basename(abs);
  if (name === '') throw new PathKindError(`cannot copy the whole local root "${src}"; copy a directory under it`);
  if (!st.isDirectory() && !st.isFile()) throw new PathKindError(`cannot copy ${src}: only files, directories and links can be copied`);
  await fsp.access(abs, st.isDirectory() ? constants.R_OK | constants.X_OK : constants.R_OK).catch((err: unknown) => {
    throw localFsError(err, `cannot read ${src}`) ?? err;
  });
  const skipped: string[] = [];
  const skip = (line: string) => {
    skipped.push(line);
    warn(line);
  };
  const items: Item[] = [{ rel: [name], abs, st }];
  let size = st.isFile() ? st.size : 0;
  if (st.isDirectory()) {
    const walk = async (dir: string, rel: string[]): Promise<void> => {
      let names: string[];
      try {
        names = readdirSync(dir).sort();
      } catch (err) {
        skip(`skipped "${path.join(...rel)}": ${(err as Error).message}`);
        return;
      }
      for (const n of names) {
        const p = path.join(dir, n);
        const r = [...rel, n];
        const s = lstatSync(p);
        if (s.isSymbolicLink()) {
          const link = readlinkSync(p);
          if (!linkStaysInside(r, link)) {
            skip(describeRefusal(path.join(...r), `it is a link to "${link}"`));
            continue;
          }
          items.push({ rel: r, abs: p, st: s, link });
        } else if (s.isDirectory()) {
          items.push({ rel: r, abs: p, st: s });
          await walk(p, r);
        } else if (s.isFile()) {
          items.push({ rel: r, abs: p, st: s });
          size += s.size;
        } else {
          skip(`skipped "${path.join(...r)}": only files, directories and links can be copied`);
        }
      }
    };
    await walk(abs, [name]);
  }
  const stream = Readable.from(coalesce(archive(items, skip), SEND_CHUNK));
  return { name, kind: st.isDirectory() ? 'd' : 'f', size, skipped, stream };
}

const ZEROS = Buffer.alloc(BLOCK);

/** The archive of `items`, in order: each entry's header, content and padding, then the end blocks. */
async function* archive(items: Item[], skip: (line: string) => void): AsyncGenerator<Buffer> {
  for (const it of items) {
    const base = { name: `./${it.rel.join('/')}`, mode: it.st.mode & MODE_BITS, mtime: it.st.mtime, uid: it.st.uid, gid: it.st.gid, size: 0 };
    if (it.link !== undefined) {
      yield encodeHeader({ ...base, type: 'symlink', linkname: it.link });
    } else if (it.st.isDirectory()) {
      yield encodeHeader({ ...base, type: 'directory' });
    } else if (it.st.size <= SMALL_FILE) {
      let body: Buffer;
      try {
        body = readFileSync(it.abs);
      } catch (err) {
        skip(`skipped "${it.rel.join('/')}": ${(err as Error).message}`);
        continue;
      }
      yield encodeHeader({ ...base, type: 'file', size: body.length });
      yield body;
      yield ZEROS.subarray(0, padding(body.length));
    } else {
      let fh: fsp.FileHandle;
      try {
        fh = await fsp.open(it.abs, constants.O_RDONLY);
      } catch (err) {
        skip(`skipped "${it.rel.join('/')}": ${(err as Error).message}`);
        continue;
      }
      try {
        // Exactly the size in the header: a file that grows meanwhile is cut there, one that shrinks fails the copy.
        const size = it.st.size;
        yield encodeHeader({ ...base, type: 'file', size });
        for (let done = 0; done < size; ) {
          const want = Math.min(IO_CHUNK, size - done);
          const { bytesRead, buffer } = await fh.read(Buffer.allocUnsafe(want), 0, want, done);
          if (bytesRead === 0) throw new CopyFailedError(`${it.abs} got shorter while it was being copied; copy it again`);
          done += bytesRead;
          yield bytesRead === want ? buffer : buffer.subarray(0, bytesRead);
        }
        yield ZEROS.subarray(0, padding(size));
      } finally {
        await fh.close();
      }
    }
  }
  yield END_OF_ARCHIVE;
}

/** Small buffers joined into writes of at least `size` bytes (big ones pass as they are). */
export async function* coalesce(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of source) {
    if (length === 0 && chunk.length >= size) {
      yield chunk;
      continue;
    }
    parts.push(chunk);
    length += chunk.length;
    if (length >= size) {
      yield Buffer.concat(parts, length);
      parts = [];
      length = 0;
    }
  }
  if (length > 0) yield Buffer.concat(parts, length);
}
