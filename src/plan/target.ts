import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { NotFoundError, NotRunningError } from '../errors.js';

export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

export type TargetReason = 'flag' | 'annotation' | 'only' | 'first';

export interface Target {
  container: string;
  reason: TargetReason;
  /** Runtime container ID without the `containerd://` scheme, when known. */
  containerId: string | undefined;
  /** True when the pod shares one PID namespace: PID 1 is then the pause process. */
  sharedPidNamespace: boolean;
}

export function podName(pod: V1Pod): string {
  return pod.metadata?.name ?? '';
}

/** Picks the container to debug, the way kubectl exec does. */
export function chooseTarget(pod: V1Pod, requested: string | undefined): Target {
  const containers = pod.spec?.containers ?? [];
  const names = containers.map((c) => c.name);
  let container: string;
  let reason: TargetReason;
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (requested !== undefined) {
    if (!names.includes(requested)) {
      throw new NotFoundError(
        `container "${requested}" not found in pod ${podName(pod)}; its containers are: ${names.join(', ') || 'none'}`,
      );
    }
    container = requested;
    reason = 'flag';
  } else if (annotated !== undefined && names.includes(annotated)) {
    container = annotated;
    reason = 'annotation';
  } else if (names.length > 0) {
    container = names[0] as string;
    reason = names.length === 1 ? 'only' : 'first';
  } else {
    throw new NotFoundError(`pod ${podName(pod)} has no containers`);
  }
  const status = containerStatus(pod, container);
  return {
    container,
    reason,
    containerId: status?.containerID?.replace(/^[a-z0-9-]+:\/\//, ''),
    sharedPidNamespace: pod.spec?.shareProcessNamespace === true,
  };
}

export function containerStatus(pod: V1Pod, name: string): V1ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((s) => s.name === name);
}

export function describeTargetChoice(t: Target): string {
  switch (t.reason) {
    case 'flag':
      return `container ${t.container} (from -c)`;
    case 'annotation':
      return `container ${t.container} (from the ${DEFAULT_CONTAINER_ANNOTATION} annotation)`;
    case 'only':
      return `container ${t.container}`;
    case 'first':
      return `container ${t.container} (the first of several; pick another with -c)`;
  }
}

/** Refuses pods a debugger cannot join, with the reason and what to do. */
export function assertDebuggable(pod: V1Pod, target: Target): void {
  const name = podName(pod);
  if (pod.metadata?.deletionTimestamp) {
    throw new NotRunningError(`pod ${name} is terminating; debug a pod that is not being deleted`);
  }
  const os = pod.spec?.os?.name ?? pod.spec?.nodeSelector?.['kubernetes.io/os'];
  if (os === 'windows') {
    throw new NotRunningError(`pod ${name} runs on a Windows node; distroless-debug needs Linux process namespaces`);
  }
  const phase = pod.status?.phase ?? 'Unknown';
  if (phase === 'Succeeded' || phase === 'Failed') {
    // Finished pods never run again: waiting would not help.
    throw new NotRunningError(
      `pod ${name} has ${phase === 'Succeeded' ? 'completed' : 'failed'} (phase ${phase}) and will not run again; read its output with kubectl logs, or debug a copy of it with --copy-to NAME`,
    );
  }
  if (phase === 'Unknown') {
    throw new NotRunningError(`pod ${name} is in phase Unknown (its node is not reporting); check the node, or debug another pod`);
  }
  if (phase !== 'Running') {
    throw new NotRunningError(`pod ${name} is ${phase}, not Running; wait for it to start or pick a running pod`);
  }
  const state = containerStatus(pod, target.container)?.state;
  if (!state?.running) {
    const why = state?.waiting?.reason ?? (state?.terminated ? `terminated (${state.terminated.reason ?? 'exited'})` : 'not started');
    throw new NotRunningError(
      `container ${target.container} in pod ${name} is not running (${why}); a debugger can only join a running container: debug a copy of the pod with --copy-to NAME`,
    );
  }
}
