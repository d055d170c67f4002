import type { V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { readRecord, withoutRecord, type DebuggerRecord } from '../record/record.js';
import { canonicalJSON, NAME_PREFIX, reuseKey } from './container.js';

export interface Reusable {
  name: string;
  /** `starting`: in the spec, not yet reported running (the kubelet lags up to a PLEG period). */
  state: 'running' | 'starting';
  /** Who opened it (debuggers of older plugin versions carry none). */
  record?: DebuggerRecord | undefined;
}

/**
 * Ephemeral containers can never be removed, so a runbook running ten
 * commands must not leave ten behind. The debugger a run would add is named
 * after a digest of its whole spec (reuseKey): image, identity, security
 * context, idle timeout, environment, target. Any debugger of that name that
 * has not exited serves the run, even one still starting; anything that
 * differs in what the debugger may do or how long it lives has another name
 * and is never reused by mistake.
 */
export function findReusableDebugger(pod: V1Pod, wanted: V1EphemeralContainer): Reusable | undefined {
  const base = NAME_PREFIX + reuseKey(wanted);
  const generation = new RegExp(`^${base}(?:-(\\d+))?$`);
  const statuses = new Map((pod.status?.ephemeralContainerStatuses ?? []).map((s) => [s.name, s]));
  let best: (Reusable & { rank: number }) | undefined;
  for (const c of pod.spec?.ephemeralContainers ?? []) {
    const m = generation.exec(c.name);
    if (!m || !sameDebugger(c, wanted)) continue;
    const state = statuses.get(c.name)?.state;
    if (state?.terminated) continue;
    const running = state?.running !== undefined;
    // A running one first, then the newest generation.
    const rank = (running ? 1_000_000 : 0) + Number(m[1] ?? 1);
    if (!best || rank > best.rank) best = { name: c.name, state: running ? 'running' : 'starting', record: readRecord(c), rank };
  }
  return best && { name: best.name, state: best.state, ...(best.record ? { record: best.record } : {}) };
}

/**
 * The fields the API server stores as sent (it defaults others, e.g.
 * imagePullPolicy), without the record: whoever opened it, it is the same
 * debugger.
 */
export function sameDebugger(a: V1EphemeralContainer, b: V1EphemeralContainer): boolean {
  const pick = (c: V1EphemeralContainer) =>
    canonicalJSON([c.image, c.targetContainerName, c.command, c.args, withoutRecord(c).env, c.securityContext, c.terminationMessagePolicy]);
  return pick(a) === pick(b);
}

/** Earlier debuggers of this plugin, for messages about Pod Security. */
export function previousDebuggers(pod: V1Pod): V1EphemeralContainer[] {
  return (pod.spec?.ephemeralContainers ?? []).filter((c) => c.name.startsWith(NAME_PREFIX));
}
