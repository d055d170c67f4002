import type { V1Pod } from '@kubernetes/client-node';
import { containerStatus } from './target.js';

/**
 * Why a session that died under us died, when the reason is the target and
 * not the debugger: the target container exited (the debugger shares its PID
 * namespace and is killed with it) or the pod went away. `after` is the pod
 * read after the session ended, undefined when it no longer exists. Pure.
 */
export function targetGoneReason(before: V1Pod, after: V1Pod | undefined, container: string): string | undefined {
  const pod = `pod/${before.metadata?.name ?? ''}`;
  if (!after || (after.metadata?.uid && before.metadata?.uid && after.metadata.uid !== before.metadata.uid)) {
    return `${pod} was deleted during the session; the debugger went with it`;
  }
  if (after.metadata?.deletionTimestamp) {
    return `${pod} is being deleted (since ${new Date(after.metadata.deletionTimestamp).toISOString()}); the debugger went with it`;
  }
  const was = containerStatus(before, container);
  const now = containerStatus(after, container);
  const restarted = (now?.restartCount ?? 0) > (was?.restartCount ?? 0) || (now?.containerID !== undefined && now.containerID !== was?.containerID);
  const stopped = now?.state?.running === undefined;
  if (!restarted && !stopped) return undefined;
  const t = now?.state?.terminated ?? (restarted ? now?.lastState?.terminated : undefined);
  const how = t
    ? ` (${[t.reason, `exit code ${t.exitCode}`, t.finishedAt ? `at ${new Date(t.finishedAt).toISOString()}` : undefined].filter(Boolean).join(', ')})`
    : '';
  const next = now?.state?.waiting?.reason ? `; it is now ${now.state.waiting.reason}` : restarted && now?.state?.running ? '; it has restarted' : '';
  return `the target container ${container} of ${pod} exited during the session${how}${next}; the debugger shares its process namespace and ended with it`;
}
