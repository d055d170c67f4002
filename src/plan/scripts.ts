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
 * guard:   a second, quiet exec beside each session that lasts longer than a
 *          moment: the plugin writes a heartbeat line to it every few seconds.
 *          When the plugin's connection is gone (closed, cut, black-holed,
 *          killed) the heartbeats stop and the keeper ends that session: the
 *          kubelet never ends an exec whose client went away, and an orphaned
 *          `sh -i` would otherwise keep the debugger alive forever.
 * attach:  the debugger's main process when exec is not allowed: finds the
 *          target itself, waits for the plugin to attach, then runs the session.
 */

export const STATE_DIR = '/tmp/.distroless-debug';
/** Exit code of the keeper/attach script when the target's root cannot be opened. */
export const MISMATCH_EXIT = 3;
/** Termination message prefix the plugin parses to correct the identity. */
export const MISMATCH_PREFIX = 'identity-mismatch';
/** How often the plugin writes a heartbeat line to a session's guard, in seconds. */
export const HEARTBEAT_SECONDS = 2;
/** A guardless session is trusted this long after it starts (short commands never open a guard). */
export const GUARD_DELAY_SECONDS = 1;

/**
 * How long a session may go without a heartbeat before the keeper ends it.
 * Never longer than the idle timeout, so the debugger exits within the idle
 * timeout after its last connection is gone; never shorter than a few
 * heartbeats, so a busy network does not end a healthy session.
 */
export function leaseSeconds(idleTimeoutSeconds: number): number {
  if (idleTimeoutSeconds <= 0) return 30;
  return Math.min(30, Math.max(3 * HEARTBEAT_SECONDS, idleTimeoutSeconds));
}

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

// Ends an orphaned session: every process in its terminal session when it
// leads one (an interactive shell's jobs live in their own process groups),
// else its descendants; HUP first, like a closed terminal, then KILL.
const endSession = `session_procs() {
  root=$1
  lead=
  s=$(cat "$proc/$root/stat" 2>/dev/null) && s=\${s##*) } && set -- $s && [ "\${4:-}" = "$root" ] && lead=1
  kids=" $root "
  changed=1
  while [ -n "$changed" ]; do
    changed=
    for d in "$proc"/[0-9]*; do
      p=\${d##*/}
      case "$kids" in *" $p "*) continue ;; esac
      s=$(cat "$d/stat" 2>/dev/null) || continue
      s=\${s##*) }
      set -- $s
      if { [ -n "$lead" ] && [ "\${4:-}" = "$root" ]; } || case "$kids" in *" \${2:-x} "*) true ;; *) false ;; esac; then
        kids="$kids$p "
        changed=1
      fi
    done
  done
  echo $kids
}
end_session() {
  victims=$(session_procs "$1")
  kill -HUP $victims 2>/dev/null
  sleep 1
  kill -KILL $victims 2>/dev/null
  return 0
}`;

// Every fork in a session's script is time before the user's command runs:
// BusyBox ash's EPOCHSECONDS (with date as the fallback elsewhere), read and
// noclobber redirections stand in for date, cat and mkdir.
const now = '${EPOCHSECONDS:-$(date +%s)}';

function sessionBody(prompt: string): string {
  return `echo "$$ ${now}" > "$dir/sessions/$sid" 2>/dev/null || true
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
echo "${now}" > "$dir/last" 2>/dev/null
rm -f "$dir/sessions/$sid" "$dir/leases/$sid"
exit $rc`;
}

export function keeperScript(): string {
  return `${prelude}
${findTarget}
${checkAccess}
${endSession}
mkdir -p "$dir/sessions" "$dir/leases"
find_target
if ! check_access; then exit ${MISMATCH_EXIT}; fi
echo "$pid" > "$dir/pid.tmp" && mv "$dir/pid.tmp" "$dir/pid"
echo "distroless-debug: target pid $pid, its files are at $proc/$pid/root"
trap 'exit 0' TERM INT HUP
idle=\${DD_IDLE_TIMEOUT:-600}
lease=\${DD_LEASE:-30}
step=5
if [ "$idle" -lt 60 ] || [ "$lease" -lt 20 ]; then step=1; fi
last=$(date +%s)
while :; do
  sleep "$step" & wait $!
  now=$(date +%s)
  # A session that ended normally records when.
  if [ -s "$dir/last" ]; then t=$(cat "$dir/last" 2>/dev/null); if [ "\${t:-0}" -gt "$last" ] 2>/dev/null; then last=$t; fi; fi
  for f in "$dir"/sessions/*; do
    [ -e "$f" ] || continue
    sid=\${f##*/}
    read -r spid sstart < "$f" 2>/dev/null || continue
    # The lease: the guard's last heartbeat, or the session's start (a short
    # command never opens a guard; one that runs longer soon has one).
    seen=$(cat "$dir/leases/$sid" 2>/dev/null)
    seen=\${seen:-\${sstart:-0}}
    if ! kill -0 "$spid" 2>/dev/null; then rm -f "$f" "$dir/leases/$sid"; continue; fi
    if [ $((now - seen)) -ge "$lease" ]; then
      echo "distroless-debug: session $sid (pid $spid) lost its connection; ending it"
      end_session "$spid"
      rm -f "$f" "$dir/leases/$sid"
      continue
    fi
    if [ "$seen" -gt "$last" ]; then last=$seen; fi
    live=1
  done
  if [ -z "\${live:-}" ] && [ "$idle" -gt 0 ] && [ $((now - last)) -ge "$idle" ]; then
    echo "distroless-debug: no session for \${idle}s; exiting"
    printf 'idle-timeout %s\\n' "$idle" > "$termlog" 2>/dev/null
    exit 0
  fi
  live=
done`;
}

/** Each exec: `sh -c SCRIPT distroless-debug-session SESSION_ID [COMMAND...]`. */
export function sessionScript(prompt: string): string {
  return `${prelude}
sid=$1
shift
# The first session on a new debugger can start before its keeper has found the
# target: wait for it (10 s at most), in short steps, as the user waits too.
i=0
while [ ! -s "$dir/pid" ]; do
  i=$((i + 1))
  if [ "$i" -gt 500 ]; then echo "distroless-debug: the debugger has not found its target; see its log" >&2; exit 125; fi
  sleep 0.02
done
read -r pid < "$dir/pid"
# A session ID runs once: the plugin may retry an exec whose connection was
# dropped before it could tell whether the command started. Creating its
# marker with noclobber is atomic (O_EXCL). The directory is made once per
# debugger (not by the keeper: its script is part of the debugger's name).
[ -d "$dir/once" ] || mkdir -p "$dir/once" 2>/dev/null
set -C
if [ -d "$dir/once" ] && ! { true > "$dir/once/$sid"; } 2>/dev/null; then
  echo "distroless-debug: session $sid already started once; not starting it again" >&2
  exit 125
fi
set +C
${sessionBody(prompt)}`;
}

/**
 * Each guard: `sh -c SCRIPT distroless-debug-guard SESSION_ID TIMEOUT`. Every
 * heartbeat line renews the session's lease; end of input (the plugin left or
 * its connection closed) or silence for TIMEOUT seconds (a black-holed
 * network) expires it at once, and the keeper ends the session.
 */
export function guardScript(): string {
  return `${prelude}
sid=$1
wait_s=$2
mkdir -p "$dir/leases" 2>/dev/null
while read -t "$wait_s" -r _beat; do
  date +%s > "$dir/leases/$sid"
done
if [ -e "$dir/sessions/$sid" ]; then echo 0 > "$dir/leases/$sid"; fi
exit 0`;
}

export function attachScript(prompt: string): string {
  return `${prelude}
${findTarget}
${checkAccess}
mkdir -p "$dir/sessions" 2>/dev/null
find_target
if ! check_access; then exit ${MISMATCH_EXIT}; fi
sid=attach
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

/** The keeper's termination message after `stop`: `stopped by USER at TIME`. */
export const STOPPED_PREFIX = 'stopped by';

/**
 * `stop` (one exec, never through the session script): ends a debugger now.
 * `sh -c SCRIPT distroless-debug-stop WHY` with WHY `stopped by USER at TIME`.
 * Its own processes are those in its cgroup (the exec's own: same container);
 * the main one is the keeper (exec mode) or the attach session, known by its
 * argv. Every registered session gets one line on its terminal, then HUP and
 * KILL, like the keeper's end of an orphaned session; the reason goes to the
 * termination log; then the main process gets TERM (the keeper's trap exits
 * 0). The main process goes last: once it exits the runtime may end every
 * process of the container, this exec included.
 */
export function stopScript(): string {
  return `${prelude}
${endSession}
why=$1
S=$(printf '\\001')
mine=$(cat "$proc/self/cgroup" 2>/dev/null)
if [ "\${DD_MODE:-exec}" = attach ]; then role=distroless-debug-session; else role=distroless-debug-keeper; fi
main=
for d in "$proc"/[0-9]*; do
  p=\${d##*/}
  [ "$(cat "$d/cgroup" 2>/dev/null)" = "$mine" ] || continue
  case "$(tr '\\000' "$S" < "$d/cmdline" 2>/dev/null)" in *"$S$role$S"*|*"$S$role") ;; *) continue ;; esac
  if [ -z "$main" ] || [ "$p" -lt "$main" ]; then main=$p; fi
done
if [ -z "$main" ]; then echo "distroless-debug: this debugger's main process was not found" >&2; exit 4; fi
# Attach mode: the main process is the one session (debuggers added before
# the command was escaped for the kubelet, src/plan/kube-literal.ts, registered
# a PID of "$": the main process is right for both).
sessions=
if [ "\${DD_MODE:-exec}" = attach ]; then
  sessions=$main
else
  for f in "$dir"/sessions/*; do
    [ -e "$f" ] || continue
    read -r spid _s < "$f" 2>/dev/null || continue
    sessions="$sessions $spid"
  done
fi
victims=
for spid in $sessions; do
  kill -0 "$spid" 2>/dev/null || continue
  printf '\\ndistroless-debug: this debugger was %s; the session ends now\\n' "$why" > "$proc/$spid/fd/2" 2>/dev/null
  victims="$victims $(session_procs "$spid")"
done
printf '%s\\n' "$why" > "$termlog" 2>/dev/null || echo "distroless-debug: cannot write the termination log" >&2
if [ -n "$victims" ]; then
  kill -HUP $victims 2>/dev/null
  sleep 1
  kill -KILL $victims 2>/dev/null
fi
echo "distroless-debug: stopping main process $main"
kill -TERM "$main" 2>/dev/null
exit 0`;
}
