/**
 * Tar headers for the archive `cp` sends into the pod, as plain buffers.
 *
 * tar-stream's packer makes a stream object per entry, which costs more than
 * the entry itself for small files (5,000 small files: about half of the
 * plugin's CPU time); the archive is written here instead, header and body
 * side by side in one buffer. What BusyBox tar reads (the pod's side): ustar,
 * with a pax `x` header for a name or link target that ustar cannot hold
 * (longer than its fields, or not ASCII), and the GNU base-256 form for a
 * size beyond 11 octal digits. Reading: tar-reader.ts.
 */

export const BLOCK = 512;
/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

export interface EntryHeader {
  /** The entry's path in the archive, "./a/b" (a directory's without its trailing slash). */
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of content (files only). */
  size: number;
  mtime: Date;
  linkname?: string;
}

const TYPEFLAG = { file: '0', directory: '5', symlink: '2' } as const;
/** The largest value of an 8-byte numeric field (7 octal digits) and of a 12-byte one (11). */
const MAX_OCTAL_8 = 0o7777777;
const MAX_OCTAL_12 = 0o77777777777;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const isAscii = (s: string): boolean => PRINTABLE_ASCII.test(s);

/** A name that fits ustar's name (100 bytes) and prefix (155 bytes) fields, split at a slash; else undefined. */
function ustarName(name: string): { name: string; prefix: string } | undefined {
  if (!isAscii(name)) return undefined;
  if (name.length <= 100) return { name, prefix: '' };
  // The shortest prefix that leaves at most 100 bytes for the name.
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    if (i > 155) return undefined;
    const rest = name.slice(i + 1);
    if (rest.length <= 100 && rest.length > 0) return { name: rest, prefix: name.slice(0, i) };
  }
  return undefined;
}

/** `length - 1` octal digits, zero-padded, then NUL (digit by digit: this runs once per field of every entry). */
function writeOctal(buf: Buffer, value: number, offset: number, length: number): void {
  let v = Math.trunc(value);
  buf[offset + length - 1] = 0;
  for (let i = offset + length - 2; i >= offset; i--) {
    buf[i] = 0x30 + (v % 8);
    v = Math.floor(v / 8);
  }
}

/** GNU base-256: high bit set, big-endian value in the rest of the field (for sizes past 8 GiB). */
function writeBase256(buf: Buffer, value: number, offset: number, length: number): void {
  let v = value;
  for (let i = offset + length - 1; i > offset; i--) {
    buf[i] = v % 256;
    v = Math.floor(v / 256);
  }
  buf[offset] = 0x80;
}

/** A zero block with the ustar magic and version, copied for every header. */
const TEMPLATE = Buffer.alloc(BLOCK);
TEMPLATE.write('ustar\x0000', 257, 8, 'latin1');

/** One ustar block; `name`, `prefix` and `linkname` are ASCII and fit their fields. */
function ustarBlock(name: string, prefix: string, typeflag: number, h: Fields, size: number, linkname: string): Buffer {
  const b = Buffer.allocUnsafe(BLOCK);
  TEMPLATE.copy(b);
  b.write(name, 0, 100, 'latin1');
  writeOctal(b, h.mode & 0o7777, 100, 8);
  writeOctal(b, h.uid <= MAX_OCTAL_8 ? h.uid : 0, 108, 8);
  writeOctal(b, h.gid <= MAX_OCTAL_8 ? h.gid : 0, 116, 8);
  if (size <= MAX_OCTAL_12) writeOctal(b, size, 124, 12);
  else writeBase256(b, size, 124, 12);
  writeOctal(b, h.mtime, 136, 12);
  b[156] = typeflag;
  if (linkname) b.write(linkname, 157, 100, 'latin1');
  if (prefix) b.write(prefix, 345, 155, 'latin1');
  // The checksum is summed with its own field as spaces: 6 octal digits, NUL, space.
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i] as number;
  writeOctal(b, sum, 148, 7);
  return b;
}

interface Fields {
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch, within what 11 octal digits hold. */
  mtime: number;
}

/** One pax record: "LEN key=value\n", LEN counting the whole record, itself included. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body);
  let len = bodyLength + 1;
  while (String(len).length + bodyLength !== len) len = String(len).length + bodyLength;
  return `${len}${body}`;
}

/** Zero bytes that complete `size` bytes of content to a whole block. */
export function padding(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

/** The header block(s) of one entry: a pax header first when ustar cannot say it all. */
export function encodeHeader(h: EntryHeader): Buffer {
  const fullName = h.type === 'directory' ? `${h.name}/` : h.name;
  const linkname = h.linkname ?? '';
  const split = ustarName(fullName);
  const linkFits = linkname.length <= 100 && isAscii(linkname);
  const fields: Fields = { mode: h.mode, uid: h.uid, gid: h.gid, mtime: Math.max(0, Math.min(Math.floor(h.mtime.getTime() / 1000), MAX_OCTAL_12)) };
  const typeflag = TYPEFLAG[h.type].charCodeAt(0);
  const size = h.type === 'file' ? h.size : 0;
  if (split && linkFits) return ustarBlock(split.name, split.prefix, typeflag, fields, size, linkname);

  let records = '';
  if (!split) records += paxRecord('path', fullName);
  if (!linkFits) records += paxRecord('linkpath', linkname);
  const body = Buffer.from(records, 'utf8');
  // What ustar holds of the names (readers without pax support still get something).
  const short = split ?? { name: asciiCut(fullName, 100), prefix: '' };
  const paxName = asciiCut(`PaxHeader/${fullName.split('/').pop() ?? ''}`, 100);
  return Buffer.concat([
    ustarBlock(paxName, '', 0x78 /* x */, fields, body.length, ''),
    body,
    Buffer.alloc(padding(body.length)),
    ustarBlock(short.name, short.prefix, typeflag, fields, size, linkFits ? linkname : asciiCut(linkname, 100)),
  ]);
}

/** At most `max` bytes of `s`, non-ASCII characters replaced (a field cannot end inside a UTF-8 sequence). */
function asciiCut(s: string, max: number): string {
  return s.replace(/[^\x20-\x7e]/g, '_').slice(0, max);
}
