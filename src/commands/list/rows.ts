import type { V1ContainerState, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { NAME_PREFIX } from '../../plan/container.js';
import { parseMismatch } from '../../plan/scripts.js';
import { readRecord, type DebuggerRecord } from '../../record/record.js';

/**
 * One ephemeral container of one pod, as `list` shows it. Pure: a pod in,
 * rows out, so a page of pods can be turned into rows and dropped.
 */
export interface DebuggerRow {
  namespace: string;
  pod: string;
  name: string;
  /** Added by this plugin (its name, its env, or its record says so); else another tool's ephemeral container. */
  ours: boolean;
  target: string;
  image: string;
  /** `65532:65532`, or undefined when the spec leaves it to the image. */
  identity: string | undefined;
  /** The profile the securityContext satisfies (ours only). */
  profile: string | undefined;
  /** exec (a keeper) or attach (one session as the main process). */
  mode: string | undefined;
  idleTimeoutSeconds: number | undefined;
  state: RowState;
  record: DebuggerRecord | undefined;
}

export type RowState =
  | { kind: 'starting' }
  | { kind: 'waiting'; reason: string; message?: string | undefined }
  | { kind: 'running'; startedAt: string | undefined }
  | {
      kind: 'exited';
      exitCode: number;
      reason: string | undefined;
      /** Why, from the keeper's termination message: idle timeout, stopped by, identity mismatch. */
      why: string | undefined;
      startedAt: string | undefined;
      finishedAt: string | undefined;
    };

export function isOurs(c: V1EphemeralContainer): boolean {
  return c.name.startsWith(NAME_PREFIX) || c.env?.some((e) => e.name === 'DD_MODE') === true || readRecord(c) !== undefined;
}

/** Every ephemeral container in a pod, in spec order (the order they were added). */
export function rowsOf(pod: V1Pod): DebuggerRow[] {
  const containers = pod.spec?.ephemeralContainers;
  if (!containers?.length) return [];
  const statuses = new Map((pod.status?.ephemeralContainerStatuses ?? []).map((s) => [s.name, s]));
  return containers.map((c) => {
    const ours = isOurs(c);
    const env = (n: string) => c.env?.find((e) => e.name === n)?.value;
    const sc = c.securityContext;
    const uid = sc?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
    const gid = sc?.runAsGroup ?? pod.spec?.securityContext?.runAsGroup;
    const idle = env('DD_IDLE_TIMEOUT');
    return {
      namespace: pod.metadata?.namespace ?? '',
      pod: pod.metadata?.name ?? '',
      name: c.name,
      ours,
      target: c.targetContainerName ?? '',
      image: c.image ?? '',
      identity: uid === undefined ? undefined : `${uid}:${gid ?? uid}`,
      profile: ours ? profileOf(c) : undefined,
      mode: ours ? env('DD_MODE') : undefined,
      idleTimeoutSeconds: ours && idle !== undefined && /^\d+$/.test(idle) ? Number(idle) : undefined,
      state: stateOf(statuses.get(c.name)?.state),
      record: readRecord(c),
    };
  });
}

/**
 * The profile a debugger's securityContext satisfies. baseline for a non-root
 * identity builds the very same context as restricted, so that one reads
 * restricted (it meets both levels).
 */
export function profileOf(c: V1EphemeralContainer): string {
  const sc = c.securityContext;
  if (sc?.capabilities?.add?.includes('SYS_PTRACE')) return 'general';
  if (sc?.capabilities?.drop?.includes('ALL') && sc.runAsNonRoot === true) return 'restricted';
  return 'baseline';
}

function stateOf(s: V1ContainerState | undefined): RowState {
  if (s?.running) return { kind: 'running', startedAt: iso(s.running.startedAt) };
  if (s?.terminated) {
    const t = s.terminated;
    return { kind: 'exited', exitCode: t.exitCode, reason: t.reason, why: whyExited(t.message), startedAt: iso(t.startedAt), finishedAt: iso(t.finishedAt) };
  }
  if (s?.waiting?.reason) return { kind: 'waiting', reason: s.waiting.reason, message: s.waiting.message };
  return { kind: 'starting' };
}

/** The keeper's own words for why it exited (its termination message), made short. */
export function whyExited(message: string | undefined): string | undefined {
  const m = message?.trim();
  if (!m) return undefined;
  const idle = /^idle-timeout (\d+)$/m.exec(m);
  if (idle) return `idle ${formatAge(Number(idle[1]))}`;
  const stopped = /^(stopped by .*)$/m.exec(m);
  if (stopped) return stopped[1];
  const mismatch = parseMismatch(m);
  if (mismatch) return `wrong identity, target is ${mismatch.uid}:${mismatch.gid}`;
  const last = m.split('\n').pop() ?? '';
  return last.length > 60 ? `${last.slice(0, 57)}...` : last;
}

/** Dates arrive as strings over JSON (client-node's types say Date). */
function iso(d: Date | string | undefined): string | undefined {
  if (d === undefined || d === null) return undefined;
  return typeof d === 'string' ? d : d.toISOString();
}

/** kubectl's age format (duration.HumanDuration): 45s, 5m10s, 3h, 2d4h... */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (d % 365 === 0 || y >= 8) return `${y}y`;
  return `${y}y${d % 365}d`;
}

/**
 * By namespace and pod (the API server's own order), then oldest debugger
 * first (by start, else by its record's time), then name. The spec's order is
 * not the order they were added: a strategic merge patch puts the new one first.
 */
export function compareRows(a: DebuggerRow, b: DebuggerRow): number {
  return cmp(a.namespace, b.namespace) || cmp(a.pod, b.pod) || cmp(startOf(a), startOf(b)) || cmp(a.name, b.name);
}

/** An ISO time sorts as text; one not known yet sorts last. */
function startOf(r: DebuggerRow): string {
  const s = r.state;
  return (s.kind === 'running' || s.kind === 'exited' ? s.startedAt : undefined) ?? r.record?.openedAt ?? '~';
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
