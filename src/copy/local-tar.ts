/**
 * This machine's side of `cp`: a tar stream read into the local file system,
 * or written from it, one entry at a time (memory does not grow with file
 * size: each file is piped through with backpressure).
 *
 * The format is read by tar-reader.ts (synchronously, chunk by chunk: one
 * call per incoming chunk) and written by tar-header.ts. Everything about
 * where bytes may land is ours: see safety.ts.
 */
import {
  chmodSync,
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
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
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
import { TarReader, type BodySink, type ReadHeader } from './tar-reader.js';

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

function statSyncOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
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

/** `rel` (checked components joined by "/") below the normalised directory `base`, without path.join's normalising. */
function under(base: string, rel: string): string {
  return base.endsWith('/') ? base + rel : `${base}/${rel}`;
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

  const placeFirst = (isDir: boolean): string => {
    const st = statSyncOrUndefined(opts.dest);
    if (st?.isDirectory()) return opts.top === ROOT_TOP ? opts.dest : path.join(opts.dest, opts.top);
    if (st && isDir) throw new PathKindError(`cannot copy the directory ${opts.top || '/'} onto ${opts.dest}: it is a file; give a directory or a new name`);
    const parent = path.dirname(path.resolve(opts.dest));
    const pst = statSyncOrUndefined(parent);
    if (!pst) throw new PathNotFoundError(`cannot write ${opts.dest}: ${parent} does not exist on this machine; create it first`);
    if (!pst.isDirectory()) throw new PathKindError(`cannot write ${opts.dest}: ${parent} is a file, not a directory`);
    return opts.dest;
  };

  /**
   * Every directory between the top and `rel`'s last component is a real
   * directory, not a link (nor missing: its entry was refused).
   */
  const noLinkOnTheWay = (top: string, rel: string[]): boolean => {
    let at = top;
    for (let i = 0; i < rel.length - 1; i++) {
      at = under(at, rel[i] as string);
      if (checked.has(at)) continue;
      const st = lstatOrUndefined(at);
      if (!st?.isDirectory()) return false;
      checked.add(at);
    }
    return true;
  };

  /** A regular file's body: written as it comes (the descriptor stays open across chunks), then mode and time. */
  const fileSink = (at: string, size: number, mode: number, mtime: Date | undefined, existing: Stats | undefined): BodySink => {
    // O_NOFOLLOW: a link that appeared meanwhile is not followed either.
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
    // A file this call creates (O_EXCL proves it) already has its mode, unless the umask took bits away.
    let fd: number | undefined;
    if (!existing && (mode & UMASK) === 0) fd = openExclusive(at, flags, mode);
    const created = fd !== undefined;
    fd ??= openSync(at, flags, mode);
    const handle = fd;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      closeSync(handle);
    };
    open.add(close);
    const finish = () => {
      open.delete(close);
      try {
        if (!created) fchmodSync(handle, mode);
        if (mtime) futimesSync(handle, mtime, mtime);
      } finally {
        close();
      }
    };
    if (size === 0) {
      finish();
      return { data: () => undefined, end: () => undefined };
    }
    return {
      data(piece) {
        for (let off = 0; off < piece.length; ) off += writeSync(handle, piece, off);
      },
      end: finish,
    };
  };
  /** Descriptors of files being written, closed if the copy stops in the middle. */
  const open = new Set<() => void>();

  const handle = (header: ReadHeader): BodySink | undefined => {
    const comps = entryComponents(header.name);
    if (isRefusal(comps)) {
      skip(describeRefusal(header.name, comps.reason));
      return undefined;
    }
    let rel: string[];
    if (opts.top === ROOT_TOP) rel = comps;
    else if (comps[0] !== opts.top) {
      skip(describeRefusal(header.name, `it is not under ${opts.top}`));
      return undefined;
    } else rel = comps.slice(1);
    if (destTop === undefined) {
      if (rel.length > 0) {
        skip(describeRefusal(header.name, 'it comes before its directory'));
        return undefined;
      }
      // Normalised once, so that paths below it can be joined by plain concatenation (components are checked names).
      destTop = path.normalize(placeFirst(header.type === 'directory')).replace(/(.)\/+$/, '$1');
    }
    const parentAt = rel.length <= 1 ? destTop : under(destTop, rel.slice(0, -1).join('/'));
    const at = rel.length === 0 ? destTop : under(parentAt, rel[rel.length - 1] as string);
    if (!noLinkOnTheWay(destTop, rel)) {
      skip(describeRefusal(header.name, 'a link, a file or a refused entry stands on its way'));
      return undefined;
    }
    const mode = header.mode & MODE_BITS;
    const mtime = header.mtime;
    // Into a directory this copy created, only this copy's own entries can be in the way: no need to ask the disk.
    const existing = rel.length > 0 && fresh.has(parentAt) && !made.has(at) ? undefined : lstatOrUndefined(at);
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
        result.entries++;
        return undefined;
      }
      case 'file':
      case 'contiguous-file': {
        if (existing?.isDirectory()) throw new PathKindError(`cannot copy a file onto ${at}: it is a directory`);
        if (existing?.isSymbolicLink()) unlinkSync(at);
        result.entries++;
        return fileSink(at, header.size, mode, mtime, existing);
      }
      case 'symlink': {
        const target = header.linkname ?? '';
        if (!linkStaysInside([opts.top, ...rel], target)) {
          skip(describeRefusal(header.name, `it is a link to "${target}"`));
          return undefined;
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
        result.entries++;
        return undefined;
      }
      case 'link': {
        const lcomps = entryComponents(header.linkname ?? '');
        const lrel = isRefusal(lcomps) ? undefined : opts.top === ROOT_TOP ? lcomps : lcomps[0] === opts.top ? lcomps.slice(1) : undefined;
        const from = lrel ? (lrel.length === 0 ? destTop : under(destTop, lrel.join('/'))) : undefined;
        const fromStat = from ? lstatOrUndefined(from) : undefined;
        if (!from || !fromStat?.isFile()) {
          skip(describeRefusal(header.name, `it is a hard link to "${header.linkname ?? ''}", not a file of this copy`));
          return undefined;
        }
        if (existing) unlinkSync(at);
        linkSync(from, at);
        result.entries++;
        return undefined;
      }
      default:
        skip(`skipped "${header.name}": a ${header.type} cannot be copied (only files, directories and links)`);
        return undefined;
    }
  };

  /** The first local failure: every entry after it is read past, nothing more is written. */
  let failure: unknown;
  /** The archive itself is damaged (the pod's tar died, or the stream was cut). */
  let damaged: Error | undefined;
  const reader = new TarReader((header) => {
    if (failure !== undefined) return undefined;
    try {
      const sink = handle(header);
      if (!sink) return undefined;
      // A write failure in the middle of a body is that entry's failure, and the copy's.
      return {
        data(piece) {
          if (failure !== undefined) return;
          try {
            sink.data(piece);
          } catch (err) {
            failure = err;
          }
        },
        end() {
          if (failure !== undefined) return;
          try {
            sink.end();
          } catch (err) {
            failure = err;
          }
        },
      };
    } catch (err) {
      failure = err;
      return undefined;
    }
  });
  const closeOpen = () => {
    for (const close of open) {
      try {
        close();
      } catch {
        // already failing
      }
    }
    open.clear();
  };

  let settle: { resolve: (r: UnpackResult) => void; reject: (err: unknown) => void } | undefined;
  const done = new Promise<UnpackResult>((resolve, reject) => {
    settle = { resolve, reject };
  }).catch((err: unknown) => {
    throw localFsError(err, `cannot write ${opts.dest}`) ?? err;
  });
  // Awaited only once the stream ends: a rejection before that is not unhandled.
  done.catch(() => undefined);
  const fail = (err: unknown) => {
    closeOpen();
    settle?.reject(err);
  };
  const asError = (err: unknown): Error => localFsError(err, `cannot write ${opts.dest}`) ?? (err instanceof Error ? err : new Error(String(err)));

  // The exec pump writes with Node's contract (write() false, then 'drain');
  // each chunk is read and written to disk before its callback.
  const input = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) {
      // A local failure ends the transfer: the pump sees the error and closes the stream.
      if (failure !== undefined) return cb(asError(failure));
      if (damaged) return cb();
      try {
        reader.write(chunk);
      } catch (err) {
        damaged = err instanceof Error ? err : new Error(String(err));
        fail(damaged);
        return cb();
      }
      if (failure !== undefined) {
        fail(failure);
        return cb(asError(failure));
      }
      cb();
    },
    final(cb) {
      cb();
      if (failure !== undefined) return fail(failure);
      if (damaged) return;
      try {
        reader.end();
        // Deepest first: a directory's own time is set after its children changed it.
        for (const d of dirs.reverse()) {
          chmodSync(d.at, d.mode);
          if (d.mtime) utimesSync(d.at, d.mtime, d.mtime);
        }
        settle?.resolve(result);
      } catch (err) {
        fail(err);
      }
    },
    destroy(err, cb) {
      closeOpen();
      cb(err);
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
  const stream = Readable.from(archive(items, skip));
  return { name, kind: st.isDirectory() ? 'd' : 'f', size, skipped, stream };
}

const ZEROS = Buffer.alloc(BLOCK);

/**
 * The archive of `items`, in order: each entry's header, content and padding,
 * then the end blocks, in writes of about SEND_CHUNK bytes. Small entries are
 * gathered synchronously (one await per write, not three per file); a big
 * file's reads go out as they are.
 */
async function* archive(items: Item[], skip: (line: string) => void): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  const take = (): Buffer => {
    const out = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, length);
    parts = [];
    length = 0;
    return out;
  };
  const put = (b: Buffer) => {
    if (b.length === 0) return;
    parts.push(b);
    length += b.length;
  };
  for (const it of items) {
    const base = { name: `./${it.rel.join('/')}`, mode: it.st.mode & MODE_BITS, mtime: it.st.mtime, uid: it.st.uid, gid: it.st.gid, size: 0 };
    if (it.link !== undefined) {
      put(encodeHeader({ ...base, type: 'symlink', linkname: it.link }));
    } else if (it.st.isDirectory()) {
      put(encodeHeader({ ...base, type: 'directory' }));
    } else if (it.st.size <= SMALL_FILE) {
      let body: Buffer;
      try {
        body = readFileSync(it.abs);
      } catch (err) {
        skip(`skipped "${it.rel.join('/')}": ${(err as Error).message}`);
        continue;
      }
      put(encodeHeader({ ...base, type: 'file', size: body.length }));
      put(body);
      put(ZEROS.subarray(0, padding(body.length)));
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
        put(encodeHeader({ ...base, type: 'file', size }));
        yield take();
        for (let done = 0; done < size; ) {
          const want = Math.min(IO_CHUNK, size - done);
          const { bytesRead, buffer } = await fh.read(Buffer.allocUnsafe(want), 0, want, done);
          if (bytesRead === 0) throw new CopyFailedError(`${it.abs} got shorter while it was being copied; copy it again`);
          done += bytesRead;
          yield bytesRead === want ? buffer : buffer.subarray(0, bytesRead);
        }
        put(ZEROS.subarray(0, padding(size)));
      } finally {
        await fh.close();
      }
    }
    if (length >= SEND_CHUNK) yield take();
  }
  put(END_OF_ARCHIVE);
  yield take();
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
