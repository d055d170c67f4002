/**
 * Why a target container is not running, from the pod status: what the
 * plugin shows before it refuses (and before --copy-to), with the last lines
 * of the container's log that session/not-running.ts fetches. Pure.
 */
import type { V1ContainerStateTerminated, V1Pod } from '@kubernetes/client-node';
import { containerStatus } from './target.js';

export interface LastRun {
  reason: string;
  exitCode: number | undefined;
  /** ISO time the run finished, when known. */
  finishedAt: string | undefined;
  restarts: number;
  /** Whether that run is the container's previous one (its log is `previous=true`). */
  previous: boolean;
}

export function isRunning(pod: V1Pod, container: string): boolean {
  return containerStatus(pod, container)?.state?.running !== undefined;
}

function when(t: V1ContainerStateTerminated): string | undefined {
  const at = t.finishedAt as unknown;
  if (at instanceof Date) return at.toISOString();
  return typeof at === 'string' ? at : undefined;
}

/** The container's last finished run: the current state when it has ended, else the one before. */
export function lastRun(pod: V1Pod, container: string): LastRun | undefined {
  const s = containerStatus(pod, container);
  if (!s) return undefined;
  const current = s.state?.terminated;
  const before = s.lastState?.terminated;
  const t = current ?? before;
  if (!t) return undefined;
  return { reason: t.reason ?? 'exited', exitCode: t.exitCode, finishedAt: when(t), restarts: s.restartCount ?? 0, previous: current === undefined };
}

/** One line: "container app last exited: Error, exit code 1, at 2026-11-28T09:41:00Z (restarted 4 times)". */
export function describeLastRun(container: string, run: LastRun): string {
  const parts = [run.reason];
  if (run.exitCode !== undefined) parts.push(`exit code ${run.exitCode}`);
  if (run.finishedAt) parts.push(`at ${run.finishedAt}`);
  const restarts = run.restarts > 0 ? ` (restarted ${run.restarts} time${run.restarts === 1 ? '' : 's'})` : '';
  return `container ${container} last exited: ${parts.join(', ')}${restarts}`;
}
