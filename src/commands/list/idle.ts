import { STATE_DIR } from '../../plan/scripts.js';
import type { Activity } from './table.js';

/**
 * What `-o wide` asks a running debugger (one exec each, never through the
 * session script, so asking does not count as a session and does not reset
 * the idle clock): how many registered sessions are alive, when the last one
 * ended (the keeper's own `last` file) and the debugger's clock. The keeper
 * counts idleness from its own start or the last session's end or lease,
 * whichever is latest; the start comes from the pod status. A session that
 * is alive but lost its connection counts as a session until the keeper
 * ends it (within its lease).
 */
export function probeScript(): string {
  return `dir=\${DD_STATE_DIR:-${STATE_DIR}}
n=0
for f in "$dir"/sessions/*; do
  [ -e "$f" ] || continue
  read -r p _s < "$f" 2>/dev/null || continue
  if kill -0 "$p" 2>/dev/null; then n=$((n + 1)); fi
done
t=0
if [ -s "$dir/last" ]; then t=$(cat "$dir/last" 2>/dev/null); fi
echo "dd-activity $n \${t:-0} $(date +%s)"`;
}

/** The probe's answer, with the debugger's start (pod status) and idle timeout (its env). */
export function parseProbe(out: string, startedAt: string | undefined, idleTimeoutSeconds: number | undefined): Activity {
  const m = /dd-activity (\d+) (\d+) (\d+)/.exec(out);
  if (!m) return { kind: 'unknown', why: 'no answer from the debugger' };
  const [sessions, last, now] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (sessions > 0) return { kind: 'sessions', count: sessions };
  const started = startedAt ? Math.floor(Date.parse(startedAt) / 1000) : 0;
  const since = Math.max(last, Number.isNaN(started) ? 0 : started);
  const seconds = Math.max(0, now - since);
  const exitsIn = idleTimeoutSeconds !== undefined && idleTimeoutSeconds > 0 ? Math.max(0, idleTimeoutSeconds - seconds) : undefined;
  return { kind: 'idle', seconds, exitsInSeconds: exitsIn };
}
