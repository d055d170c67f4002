/**
 * The BusyBox programs `cp` runs in the debugger, as the session's command:
 * the session script has already cd'ed into the app's root
 * (`$TARGET_ROOT` = /proc/PID/root) as the app's identity. Pure strings,
 * unit-tested with BusyBox against a fake root (test/unit/copy/remote-script.test.ts).
 *
 * Paths are resolved component by component *inside* the app's root: the
 * kernel would resolve an absolute symlink in the app's filesystem (/var/run
 * -> /run) against the debugger's own root, so the script rebases it on
 * $TARGET_ROOT itself, and `..` stops at the app's root. Every failure the
 * plugin explains is one line `distroless-debug-cp: error KIND PATH` on
 * stderr and exit 2; `distroless-debug-cp: size BYTES` announces a size.
 */

export const CP_TAG = 'distroless-debug-cp:';
/** The remote script's own refusal (tar's own failures exit 1). */
export const CP_FAIL_EXIT = 2;

export type RemoteFailure = 'missing' | 'permission' | 'readonly' | 'nospace' | 'notdir' | 'isdir' | 'loop';

const prelude = `set -u
root=\${TARGET_ROOT:?}
fail() { echo "${CP_TAG} error $1 \${2:-/}" >&2; exit ${CP_FAIL_EXIT}; }
# resolve PATH: PATH's physical location relative to the app's root ("" is the
# root itself), every symlink followed inside the root.
resolve() {
  rest=$1
  cur=
  hops=0
  while [ -n "$rest" ]; do
    comp=\${rest%%/*}
    if [ "$comp" = "$rest" ]; then rest=; else rest=\${rest#*/}; fi
    case $comp in
      ''|.) continue ;;
      ..) cur=\${cur%/*}; continue ;;
    esac
    if [ -L "$root$cur/$comp" ]; then
      hops=$((hops + 1))
      if [ "$hops" -gt 40 ]; then fail loop "$cur/$comp"; fi
      t=$(readlink "$root$cur/$comp")
      case $t in
        /*) cur=; rest=\${t#/}\${rest:+/$rest} ;;
        *) rest=$t\${rest:+/$rest} ;;
      esac
    else
      cur=$cur/$comp
    fi
  done
  echo "$cur"
}
# why_not DIR: the reason DIR (relative to the root) cannot be entered or read.
why_not() {
  d=$1
  while [ -n "$d" ] && [ ! -e "$root$d" ]; do d=\${d%/*}; done
  if ls "$root$d/" >/dev/null 2>&1; then echo missing; else echo permission; fi
}`;

/**
 * Out of the pod: `sh -c SCRIPT distroless-debug-cp PATH [SIZE]`. Writes a
 * tar of PATH (named by its last component; the root as ".") on stdout. The
 * path itself is followed when it is a symlink, like `cp -R -H`; links inside
 * a directory stay links. SIZE `size` (the default) announces the size first,
 * for the progress bar; `-` skips that: a directory's size is a walk of the
 * whole tree (`du`) before tar walks it again, which only a bar needs.
 */
export function packScript(): string {
  return `${prelude}
src=$(resolve "$1") || exit ${CP_FAIL_EXIT}
if [ ! -e "$root$src" ]; then
  parent=\${src%/*}
  if [ -n "$parent" ] && [ ! -d "$root$parent" ]; then fail "$(why_not "$parent")" "$1"; fi
  if ls "$root$parent/" >/dev/null 2>&1; then fail missing "$1"; else fail permission "$1"; fi
fi
if [ -d "$root$src" ]; then
  if [ ! -r "$root$src" ] || [ ! -x "$root$src" ]; then fail permission "$1"; fi
  if [ "\${2:-size}" = size ]; then size=$(du -sk "$root$src" 2>/dev/null | awk '{print $1 * 1024}'); fi
else
  if [ ! -r "$root$src" ]; then fail permission "$1"; fi
  if [ "\${2:-size}" = size ]; then size=$(stat -c %s "$root$src" 2>/dev/null); fi
fi
if [ "\${2:-size}" = size ]; then echo "${CP_TAG} size \${size:-unknown}" >&2; fi
if [ -z "$src" ]; then cd "$root" && exec tar -c -f - .; fi
cd "$root\${src%/*}/" || fail permission "$1"
exec tar -c -f - "./\${src##*/}"`;
}

/**
 * Into the pod: `sh -c SCRIPT distroless-debug-cp DEST NAME KIND` with a tar
 * on stdin whose one top entry is ./NAME (KIND f: a file, d: a directory).
 * cp's rules: DEST an existing directory receives NAME; otherwise DEST is
 * the new name (its parent must exist). Files are created by the debugger,
 * which runs as the app's identity, so they belong to the app; owners in the
 * archive are ignored (-o).
 */
export function unpackScript(): string {
  return `${prelude}
# Input not read would stay in the kubelet's pipe and hold the exec open
# forever: after a failure, read the rest (the plugin ends it when it sees why).
drain() { cat >/dev/null 2>&1; }
fail() { echo "${CP_TAG} error $1 \${2:-/}" >&2; drain; exit ${CP_FAIL_EXIT}; }
# Output proves the session started: the plugin stops keeping the input for a
# retry and streams at full speed (see session/replay-input.ts).
echo "${CP_TAG} started" >&2
name=$2
kind=$3
dest=$(resolve "$1") || exit ${CP_FAIL_EXIT}
if [ -d "$root$dest" ]; then
  dir=$dest
  final=$name
else
  dir=\${dest%/*}
  final=\${dest##*/}
  if [ ! -d "$root$dir" ]; then
    if [ -e "$root$dir" ]; then fail notdir "\${1%/*}"; fi
    fail "$(why_not "$dir")" "\${1%/*}"
  fi
  if [ -e "$root$dest" ] && [ "$kind" = d ]; then fail notdir "$1"; fi
fi
if [ -d "$root$dir/$final" ] && [ "$kind" = f ]; then fail isdir "$dir/$final"; fi
# A probe that also serves as the staging directory when the entry is renamed:
# it tells a read-only file system, a full disk and a missing permission apart
# before any byte is sent.
stage="$root$dir/.distroless-debug-cp.$$"
if ! err=$(mkdir "$stage" 2>&1); then
  case $err in
    *[Rr]ead-only*) fail readonly "\${dir:-/}" ;;
    *[Nn]o\\ space*|*[Qq]uota*) fail nospace "\${dir:-/}" ;;
    *) fail permission "\${dir:-/}" ;;
  esac
fi
trap 'rm -rf "$stage"' EXIT
if [ "$final" = "$name" ]; then
  rmdir "$stage"
  cd "$root$dir/" && tar -x -o -f - || { rc=$?; drain; exit $rc; }
  exit 0
fi
cd "$stage" && tar -x -o -f - || { rc=$?; drain; exit $rc; }
rm -f "$root$dir/$final" 2>/dev/null
mv "$stage/$name" "$root$dir/$final"`;
}

export interface RemoteReport {
  size: number | undefined;
  failure: { kind: RemoteFailure; path: string } | undefined;
  /** Other lines (tar's own messages), last ones kept. */
  other: string[];
}

/** Reads the script's stderr lines. */
export function parseRemoteStderr(text: string): RemoteReport {
  const report: RemoteReport = { size: undefined, failure: undefined, other: [] };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (line === `${CP_TAG} started`) continue;
    if (line.startsWith(`${CP_TAG} size `)) {
      const n = Number(line.slice(CP_TAG.length + 6));
      if (Number.isFinite(n) && n >= 0) report.size = n;
      continue;
    }
    const m = /^distroless-debug-cp: error (\w+) (.*)$/.exec(line);
    if (m) {
      report.failure = { kind: m[1] as RemoteFailure, path: m[2] as string };
      continue;
    }
    report.other.push(line);
  }
  return report;
}

/** What tar's own messages say went wrong, if it is one of the failures the plugin explains. */
export function classifyTarMessages(lines: string[]): RemoteFailure | undefined {
  const all = lines.join('\n');
  if (/No space left on device|Disk quota exceeded/i.test(all)) return 'nospace';
  if (/Read-only file system/i.test(all)) return 'readonly';
  if (/Permission denied|Operation not permitted/i.test(all)) return 'permission';
  return undefined;
}
