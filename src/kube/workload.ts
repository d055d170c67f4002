import type { V1LabelSelector, V1Pod } from '@kubernetes/client-node';
import type { TargetRef } from '../options.js';
import { TARGET_KINDS } from '../kinds.js';
import { AmbiguousError } from '../errors.js';
import { explainGetError, getPod, listPods } from './pods.js';
import type { KubeClient } from './rest.js';


/** Finds the pod to debug: the named one, or a running, ready pod of a workload (as `kubectl exec deploy/x` does). */
export async function resolvePod(kube: KubeClient, ns: string, ref: TargetRef): Promise<V1Pod> {
  if (ref.kind === 'pod') return getPod(kube, ns, ref.name);
  const w = TARGET_KINDS.find((k) => k.kind === ref.kind);
  if (!w) throw new Error(`unknown kind ${ref.kind}`);
  const label = `${w.short}/${ref.name}`;
  let selector: V1LabelSelector | undefined;
  try {
    const obj = await kube.get<{ spec?: { selector?: V1LabelSelector } }>(w.objectPath(ns, ref.name));
    selector = obj.spec?.selector;
  } catch (err) {
    throw await explainGetError(kube, err, ns, `${ref.kind} "${ref.name}"`, `get ${w.plural}`);
  }
  const pods = await listPods(kube, ns, selectorString(selector));
  const pick = pickPod(pods);
  if (pick) return pick;
  const names = pods.map((p) => `${p.metadata?.name} (${p.status?.phase ?? 'Unknown'})`).join(', ');
  throw new AmbiguousError(
    pods.length === 0
      ? `${label} has no pods; scale it up or name a pod directly`
      : `${label} has no running and ready pod to debug; name one directly (${names}), or debug a copy of one with --copy-to NAME`,
  );
}

export function selectorString(sel: V1LabelSelector | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** Running and ready beats running beats the rest; then the oldest, for a stable choice. */
export function pickPod(pods: V1Pod[]): V1Pod | undefined {
  const score = (p: V1Pod): number => {
    if (p.metadata?.deletionTimestamp || p.status?.phase !== 'Running') return 0;
    const ready = p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    return ready ? 2 : 1;
  };
  const usable = pods.filter((p) => score(p) > 0);
  usable.sort((a, b) => score(b) - score(a) || created(a) - created(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const best = usable[0];
  return best && score(best) === 2 ? best : undefined;
}

function created(p: V1Pod): number {
  const t = p.metadata?.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}
