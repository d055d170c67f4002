import type { V1Pod } from '@kubernetes/client-node';

/** Volume kinds the kubelet always mounts read-only, whatever the mount says. */
const ALWAYS_READ_ONLY = ['secret', 'configMap', 'downwardAPI', 'projected'] as const;

export interface WritableMount {
  path: string;
  /** The volume's kind: emptyDir, persistentVolumeClaim, hostPath... */
  kind: string;
}

/**
 * The container's volume mounts a copy can write to: for the message when
 * the app's root file system is read-only. Pure.
 */
export function writableMounts(pod: V1Pod, container: string): WritableMount[] {
  const c = pod.spec?.containers?.find((x) => x.name === container);
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  const out: WritableMount[] = [];
  for (const m of c?.volumeMounts ?? []) {
    if (m.readOnly) continue;
    const v = volumes.get(m.name);
    if (!v) continue;
    const kind = Object.keys(v).find((k) => k !== 'name' && (v as unknown as Record<string, unknown>)[k] !== undefined) ?? 'volume';
    if ((ALWAYS_READ_ONLY as readonly string[]).includes(kind)) continue;
    out.push({ path: m.mountPath, kind });
  }
  return out;
}

/** "/tmp (emptyDir), /data (persistentVolumeClaim)" or undefined. */
export function describeWritable(mounts: WritableMount[]): string | undefined {
  if (mounts.length === 0) return undefined;
  return mounts.map((m) => `${m.path} (${m.kind})`).join(', ');
}
