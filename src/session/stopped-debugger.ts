import type { V1Pod } from '@kubernetes/client-node';
import { type DebuggerFailedError, StreamRefusedError } from '../errors.js';
import type { KubeClient } from '../kube/rest.js';
import { parseMismatch } from '../plan/scripts.js';
import { IdentityMismatch, stoppedByStop } from './start.js';

/**
 * Refusals of an exec into a container that is stopping or stopped: nothing
 * ran. The last one is an exec that lands while the container is exiting, as
 * on v1.37 (kubelet) with containerd 2.2: the stream opens, then its status says
 * `error executing command in container: failed to exec in container: ...`
 * with `failed to create exec "...": ttrpc: closed`, `failed to load task: no
 * running task found` or `container is in CONTAINER_EXITED state` (containerd
 * 1.7: `failed to create exec "...": cannot exec in a deleted state`).
 */
const STOPPED_EXEC = /container not found|not running|stopped state|failed to exec in container/i;

/**
 * The keeper of a fresh debugger that cannot open the target's root reports
 * the target's identity and exits at once. The status watch may have seen it
 * running first (containerd 1.7 reports the short run), and the session's
 * exec then lands on a stopped container: "container not found". That refusal
 * hides the keeper's report, which the debugger's status still holds (it
 * lags the exit by up to a PLEG period): read it, for up to `waitMs`.
 */
export async function keeperReportAfterRefusal(kube: KubeClient, ns: string, pod: string, container: string, target: string, err: unknown, waitMs = 3000): Promise<IdentityMismatch | undefined> {
  if (!(err instanceof StreamRefusedError) || !STOPPED_EXEC.test(err.message)) return undefined;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const current = await kube.get<V1Pod>(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}`).catch(() => undefined);
    // A target that is not running is another story (target-gone.ts), told at once.
    const targetState = current?.status?.containerStatuses?.find((s) => s.name === target)?.state;
    if (current && !targetState?.running) return undefined;
    const state = current?.status?.ephemeralContainerStatuses?.find((s) => s.name === container)?.state;
    if (state?.terminated) {
      const mismatch = parseMismatch(state.terminated.message);
      return mismatch && current ? new IdentityMismatch(mismatch, current) : undefined;
    }
    // "running" may be stale for a PLEG period after the exit: keep looking until the deadline.
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * A session SIGKILLed by the end of its debugger: when `kubectl
 * distroless-debug stop` ended the debugger before the session had registered
 * (it was still starting, so the keeper could not tell it), nothing else says
 * why. The debugger's termination message does. One read: callers ask after
 * the target check, which already waited out the status lag.
 */
export async function stoppedByPerson(kube: KubeClient, ns: string, pod: string, container: string): Promise<DebuggerFailedError | undefined> {
  const current = await kube.get<V1Pod>(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}`, undefined, 2000).catch(() => undefined);
  const t = current?.status?.ephemeralContainerStatuses?.find((s) => s.name === container)?.state?.terminated;
  return t ? stoppedByStop(container, t.message) : undefined;
}
