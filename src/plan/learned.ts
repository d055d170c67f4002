import type { V1Pod } from '@kubernetes/client-node';
import type { Identity } from './identity.js';
import { NAME_PREFIX } from './container.js';
import { parseMismatch } from './scripts.js';
import { containerStatus } from './target.js';

export type Learned = { kind: 'correction'; identity: Identity; from: string } | { kind: 'unopenable'; uid: number; gid: number; from: string };

/**
 * What earlier debuggers already found out about the running target. A keeper
 * that could not open the target's root reported who the target really runs
 * as, in its termination message; that stays in the pod status. Using it
 * saves adding one more (permanent) debugger that would fail the same way:
 * the next run starts with the corrected identity, and a target that even its
 * own identity could not open (a non-dumpable process) is refused at once.
 * Only reports from after the target's current start count. Pure.
 */
export function learnFromEarlierDebuggers(pod: V1Pod, target: string, guess: Identity): Learned | undefined {
  const started = containerStatus(pod, target)?.state?.running?.startedAt;
  if (!started) return undefined;
  const since = new Date(started).getTime();
  const statuses = new Map((pod.status?.ephemeralContainerStatuses ?? []).map((s) => [s.name, s]));
  let correction: Learned | undefined;
  for (const c of pod.spec?.ephemeralContainers ?? []) {
    if (!c.name.startsWith(NAME_PREFIX) || c.targetContainerName !== target) continue;
    const t = statuses.get(c.name)?.state?.terminated;
    const m = parseMismatch(t?.message);
    if (!m || !t?.startedAt || new Date(t.startedAt).getTime() < since) continue;
    const ranAs = { uid: c.securityContext?.runAsUser, gid: c.securityContext?.runAsGroup };
    if (ranAs.uid === m.uid && ranAs.gid === m.gid && !c.securityContext?.capabilities?.add?.length) {
      return { kind: 'unopenable', uid: m.uid, gid: m.gid, from: c.name };
    }
    if (ranAs.uid === guess.uid && ranAs.gid === guess.gid) {
      correction = { kind: 'correction', identity: { uid: m.uid, gid: m.gid, source: 'correction' }, from: c.name };
    }
  }
  return correction;
}
