/**
 * The /bin/sh programs that run inside the debugger container. They are
 * generated here, as plain strings with no templating, and unit-tested by
 * running them with BusyBox against a fake /proc (DD_PROC, DD_STATE_DIR and
 * DD_TERMINATION_LOG exist only for those tests).
 *
 * keeper:  the debugger's main process in exec mode. Finds the target, proves
 *          /proc/PID/root opens, records the PID, then idles until no session
 *          has run for DD_IDLE_TIMEOUT seconds.
 * session: what each exec runs: waits for the keeper, registers itself, and
 *          starts a shell (or the user's command) in the target's root.
 * attach:  the debugger's main process when exec is not allowed: finds the
 *          target itself, waits for the plugin to attach, then runs the session.
 */

export const STATE_DIR = '/tmp/.distroless-debug';
/** Exit code of the keeper/attach script when the target's root cannot be opened. */
export const MISMATCH_EXIT = 3;
/** Termination message prefix the plugin parses to correct the identity. */
export const MISMATCH_PREFIX = 'identity-mismatch';

const prelude = `set -u
proc=\${DD_PROC:-/proc}
dir=\${DD_STATE_DIR:-${STATE_DIR}}
termlog=\${DD_TERMINATION_LOG:-/dev/termination-log}`;

// With shareProcessNamespace PID 1 is the pause process; the target's own
// processes are the ones whose cgroup names its container ID. The lowest such
// PID is its entrypoint.
const findTarget = `find_target() {
  pid=1
  if [ -n "\${DD_TARGET_CID:-}" ]; then
    best=
    for d in "$proc"/[0-9]*; do
      p=\${d##*/}
      case "$(cat "$d/cgroup" 2>/dev/null)" in
        *"$DD_TARGET_CID"*) if [ -z "$best" ] || [ "$p" -lt "$best" ]; then best=$p; fi ;;
      esac
    done
    if [ -n "$best" ]; then pid=$best; fi
  fi
}`;

const checkAccess = `check_access() {
  if ls "$proc/$pid/root/" >/dev/null 2>&1; then return 0; fi
  tu=$(awk '/^Uid:/{print $2}' "$proc/$pid/status" 2>/dev/null)
  tg=$(awk '/^Gid:/{print $2}' "$proc/$pid/status" 2>/dev/null)
  echo "distroless-debug: cannot open /proc/$pid/root: the target runs as uid \${tu:-?} gid \${tg:-?}, this debugger as uid $(id -u) gid $(id -g)" >&2
  printf '${MISMATCH_PREFIX} pid=%s uid=%s gid=%s\\n' "$pid" "\${tu:-}" "\${tg:-}" > "$termlog" 2>/dev/null
  return 1
}`;

function sessionBody(prompt: string): string {
  return `touch "$dir/sessions/$$" 2>/dev/null || true
export TARGET_PID="$pid" TARGET_ROOT="$proc/$pid/root" HOME="$proc/$pid/root"
cd "$TARGET_ROOT" || exit 125
if [ $# -eq 0 ]; then
  PS1=${shellQuote(prompt)}
  export PS1
  if [ -t 0 ]; then sh -i; else sh; fi
  rc=$?
else
  "$@"
  rc=$?
fi
rm -f "$dir/sessions/$$"
exit $rc`;
}

export function keeperScript(): string {
  return `${prelude}
${findTarget}
${checkAccess}
mkdir -p "$dir/sessions"
find_target
if ! check_access; then exit ${MISMATCH_EXIT}; fi
echo "$pid" > "$dir/pid.tmp" && mv "$dir/pid.tmp" "$dir/pid"
echo "distroless-debug: target pid $pid, its files are at $proc/$pid/root"
trap 'exit 0' TERM INT HUP
idle=\${DD_IDLE_TIMEOUT:-600}
step=5
if [ "$idle" -gt 0 ] && [ "$idle" -lt 20 ]; then step=1; fi
last=$(date +%s)
while :; do
  sleep "$step" & wait $!
  now=$(date +%s)
  for f in "$dir"/sessions/*; do
    [ -e "$f" ] || continue
    if kill -0 "\${f##*/}" 2>/dev/null; then last=$now; else rm -f "$f"; fi
  done
  if [ "$idle" -gt 0 ] && [ $((now - last)) -ge "$idle" ]; then
    echo "distroless-debug: no session for \${idle}s; exiting"
    printf 'idle-timeout %s\\n' "$idle" > "$termlog" 2>/dev/null
    exit 0
  fi
done`;
}

export function sessionScript(prompt: string): string {
  return `${prelude}
i=0
while [ ! -s "$dir/pid" ]; do
  i=$((i + 1))
  if [ "$i" -gt 100 ]; then echo "distroless-debug: the debugger has not found its target; see its log" >&2; exit 125; fi
  sleep 0.1
done
pid=$(cat "$dir/pid")
${sessionBody(prompt)}`;
}

export function attachScript(prompt: string): string {
  return `${prelude}
${findTarget}
${checkAccess}
mkdir -p "$dir/sessions" 2>/dev/null
find_target
if ! check_access; then exit ${MISMATCH_EXIT}; fi
# Output written before the plugin attaches would be lost: wait for its go.
if [ -t 0 ]; then stty -echo; read -r _go; stty echo; else read -r _go || true; fi
${sessionBody(prompt)}`;
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The shell prompt. BusyBox's \\w calls getcwd(), which fails inside another
 * mount namespace's root, so the prompt shows $PWD relative to the app's root
 * (or marks the debugger's own filesystem) with a command substitution.
 */
export function promptFor(pod: string, container: string): string {
  const where = '$(p=${PWD#"$TARGET_ROOT"}; if [ "$p" = "$PWD" ]; then echo "(debugger) $PWD"; else echo "${p:-/}"; fi)';
  return `[debug pod/${pod} ${container}] ${where} \\$ `;
}

export interface Mismatch {
  pid: number;
  uid: number;
  gid: number;
}

/** Reads the keeper's termination message, if it reported a wrong identity. */
export function parseMismatch(message: string | undefined): Mismatch | undefined {
  const m = message?.match(/identity-mismatch pid=(\d+) uid=(\d+) gid=(\d+)/);
  if (!m) return undefined;
  return { pid: Number(m[1]), uid: Number(m[2]), gid: Number(m[3]) };
}
