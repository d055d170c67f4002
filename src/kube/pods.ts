import type { V1ContainerState, V1EphemeralContainer, V1Pod, V1PodList } from '@kubernetes/client-node';
import {
  ApiError,
  DebuggerFailedError,
  ForbiddenError,
  ImagePullError,
  NotFoundError,
  PodSecurityError,
  TimeoutError,
  UnsupportedError,
} from '../errors.js';
import type { PsaLevel } from '../plan/security.js';
import { isPsaLevel } from '../plan/security.js';
import { KubeStatusError, type KubeClient } from './rest.js';

const podPath = (ns: string, name: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`;

export async function getPod(kube: KubeClient, ns: string, name: string): Promise<V1Pod> {
  try {
    return await kube.get<V1Pod>(podPath(ns, name));
  } catch (err) {
    throw await explainGetError(kube, err, ns, `pod "${name}"`, 'get pods');
  }
}

/** Turns a failed read into a message that says which of pod or namespace is missing. */
export async function explainGetError(kube: KubeClient, err: unknown, ns: string, what: string, verb: string): Promise<unknown> {
  if (!(err instanceof KubeStatusError)) return err;
  if (err.statusCode === 403) return forbidden(verb, ns, err);
  if (err.statusCode !== 404) return apiError(err);
  const nsMissing = await kube
    .get(`/api/v1/namespaces/${encodeURIComponent(ns)}`)
    .then(() => false)
    .catch((e: unknown) => e instanceof KubeStatusError && e.statusCode === 404);
  if (nsMissing) return new NotFoundError(`namespace "${ns}" not found; check -n/--namespace or your context's namespace`);
  return new NotFoundError(`${what} not found in namespace "${ns}"; check the name, or -n/--namespace`);
}

export function forbidden(verb: string, ns: string, err: KubeStatusError): ForbiddenError {
  return new ForbiddenError(
    `not allowed to ${verb} in namespace "${ns}" (RBAC); ask your cluster admin for "${verb}" (see the README's RBAC section)`,
    { cause: err, details: [err.message] },
  );
}

export function apiError(err: KubeStatusError): ApiError {
  return new ApiError(`the API server refused ${err.method} ${err.path}: ${err.status.message ?? err.statusCode}`, { cause: err });
}

export async function listPods(kube: KubeClient, ns: string, selector: string): Promise<V1Pod[]> {
  try {
    return (await kube.get<V1PodList>(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, { labelSelector: selector })).items;
  } catch (err) {
    throw await explainGetError(kube, err, ns, 'pods', 'list pods');
  }
}

/**
 * Adds the debugger with a strategic merge patch, which merges by container
 * name (a JSON merge patch would replace the whole list).
 */
export async function addEphemeralContainer(
  kube: KubeClient,
  ns: string,
  pod: V1Pod,
  container: V1EphemeralContainer,
  dryRun: boolean,
): Promise<V1Pod> {
  const name = pod.metadata?.name ?? '';
  try {
    return await kube.request<V1Pod>('PATCH', `${podPath(ns, name)}/ephemeralcontainers`, {
      body: { spec: { ephemeralContainers: [container] } },
      contentType: 'application/strategic-merge-patch+json',
      query: { dryRun: dryRun ? 'All' : undefined, fieldManager: 'kubectl-distroless-debug' },
    });
  } catch (err) {
    throw patchError(err, ns, name, pod, container);
  }
}

function patchError(err: unknown, ns: string, name: string, pod: V1Pod, container: V1EphemeralContainer): unknown {
  if (!(err instanceof KubeStatusError)) return err;
  const msg = err.status.message ?? '';
  if (err.statusCode === 404 && !err.status.details?.name) {
    return new UnsupportedError(
      'this cluster does not serve ephemeral containers (pods/ephemeralcontainers answered 404); they need Kubernetes 1.25 or newer',
      { cause: err },
    );
  }
  if (err.statusCode === 404) return new NotFoundError(`pod "${name}" disappeared from namespace "${ns}"; pick a running pod`, { cause: err });
  if (/violates PodSecurity/i.test(msg)) {
    const rule = msg.replace(/^.*violates PodSecurity\s*/i, '');
    const earlier = blamedEarlierContainers(msg, pod, container.name);
    const own = blamedOwnContainers(msg, pod);
    let blame: string;
    if (own.length) {
      // The app's own containers: the namespace's level was raised after the pod
      // started. A fresh pod would not help either, so this comes first.
      blame = ` It names the pod's own container${own.length > 1 ? 's' : ''} ${own.join(', ')}: this pod does not meet the namespace's current Pod Security level (raised after it started), and Pod Security re-checks the whole pod on every patch, so no debugger can be added to it; ask an admin about the namespace's level.`;
    } else if (earlier.length) {
      blame = ` It names ${earlier.join(', ')}, already in this pod: Pod Security re-checks the whole pod on every patch, so it will keep refusing; debug a fresh pod instead (e.g. restart the workload).`;
    } else {
      blame = psaHint(container);
    }
    return new PodSecurityError(`Pod Security rejected the debugger: ${rule}.${blame}`, { cause: err });
  }
  if (err.statusCode === 403) return forbidden('patch pods/ephemeralcontainers', ns, err);
  if (err.statusCode === 422) return new ApiError(`the API server rejected the debugger container: ${msg}`, { cause: err });
  return apiError(err);
}

/** Container names quoted in a Pod Security rejection ('container "x" must...', 'containers "a", "b" must...'). */
function namedContainers(message: string): Set<string> {
  const named = new Set<string>();
  for (const m of message.matchAll(/containers? ((?:"[^"]+"(?:, | and )?)+)/g)) {
    for (const q of (m[1] ?? '').matchAll(/"([^"]+)"/g)) named.add(q[1] as string);
  }
  return named;
}

/**
 * The rejection names the offending containers. Earlier ephemeral containers
 * (debuggers) among them are what blocks this patch, whatever the new
 * debugger looks like. The pod's own containers are not "earlier debuggers":
 * see blamedOwnContainers.
 */
export function blamedEarlierContainers(message: string, pod: V1Pod, newName: string): string[] {
  const ephemeral = new Set((pod.spec?.ephemeralContainers ?? []).map((c) => c.name));
  return [...namedContainers(message)].filter((n) => n !== newName && ephemeral.has(n));
}

/** The pod's own (init and app) containers that a Pod Security rejection names. */
export function blamedOwnContainers(message: string, pod: V1Pod): string[] {
  const own = new Set([...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name));
  return [...namedContainers(message)].filter((n) => own.has(n));
}

function psaHint(c: V1EphemeralContainer): string {
  if (c.securityContext?.capabilities?.add?.length) return ' Drop --profile general: this namespace forbids added capabilities.';
  if (c.securityContext?.runAsUser === 0) return ' The target runs as root, which this namespace forbids for the debugger.';
  return ' Try --profile restricted.';
}

/** The namespace's enforced Pod Security level, when we may read it. */
export async function namespacePsaLevel(kube: KubeClient, ns: string): Promise<PsaLevel | undefined> {
  try {
    const n = await kube.get<{ metadata?: { labels?: Record<string, string> } }>(`/api/v1/namespaces/${encodeURIComponent(ns)}`);
    const level = n.metadata?.labels?.['pod-security.kubernetes.io/enforce'];
    return isPsaLevel(level) ? level : 'privileged';
  } catch {
    // Many users may not read namespaces; the rejection message says the rest.
    return undefined;
  }
}

export type DebuggerState =
  | { kind: 'running'; pod: V1Pod }
  | { kind: 'terminated'; pod: V1Pod; exitCode: number; reason: string | undefined; message: string | undefined };

export type WaitEvent = { kind: 'waiting'; reason: string; message: string | undefined };

// Pull failures that retrying will not fix.
const PERMANENT_PULL = /not found|manifest unknown|unauthorized|denied|invalid reference|no such host|InvalidImageName|ErrImageNeverPull/i;
const CREATE_FAILURES = new Set(['CreateContainerError', 'CreateContainerConfigError', 'RunContainerError', 'ContainerCannotRun']);

export function debuggerState(pod: V1Pod, container: string): V1ContainerState | undefined {
  return pod.status?.ephemeralContainerStatuses?.find((s) => s.name === container)?.state;
}

/**
 * Watches the pod (no polling) until the debugger runs or stops, reporting
 * each new waiting reason; fails fast on errors that will not go away.
 */
export async function waitForDebugger(input: {
  kube: KubeClient;
  ns: string;
  pod: V1Pod;
  container: string;
  image: string;
  timeoutMs: number;
  onWaiting: (e: WaitEvent) => void;
  /** Stops watching early (the session may finish before the status arrives). */
  signal?: AbortSignal;
}): Promise<DebuggerState> {
  const { kube, ns, container } = input;
  const name = input.pod.metadata?.name ?? '';
  const abort = new AbortController();
  let lastReason = '';
  let result: DebuggerState | undefined;
  let failure: Error | undefined;
  const timer = setTimeout(() => abort.abort(), input.timeoutMs);
  input.signal?.addEventListener('abort', () => abort.abort(), { once: true });

  const inspect = (pod: V1Pod): boolean => {
    const state = debuggerState(pod, container);
    if (state?.running) {
      result = { kind: 'running', pod };
      return true;
    }
    if (state?.terminated) {
      const t = state.terminated;
      result = { kind: 'terminated', pod, exitCode: t.exitCode, reason: t.reason, message: t.message };
      return true;
    }
    const w = state?.waiting;
    if (w?.reason && `${w.reason}|${w.message ?? ''}` !== lastReason) {
      lastReason = `${w.reason}|${w.message ?? ''}`;
      input.onWaiting({ kind: 'waiting', reason: w.reason, message: w.message });
      if (/ImagePull|ErrImage|InvalidImageName/.test(w.reason) && PERMANENT_PULL.test(`${w.reason} ${w.message ?? ''}`)) {
        failure = new ImagePullError(
          `cannot pull the debug image ${input.image}: ${w.reason}${w.message ? `: ${oneLine(w.message)}` : ''}; check --image or set DISTROLESS_DEBUG_IMAGE to a reachable BusyBox`,
        );
        return true;
      }
      if (CREATE_FAILURES.has(w.reason)) {
        failure = new DebuggerFailedError(`the debugger container could not start: ${w.reason}${w.message ? `: ${oneLine(w.message)}` : ''}`);
        return true;
      }
    }
    return false;
  };

  try {
    if (inspect(input.pod)) return settle();
    let rv = input.pod.metadata?.resourceVersion;
    while (!abort.signal.aborted) {
      let latest: V1Pod | undefined;
      const how = await kube
        .watch<{ type: string; object: V1Pod }>(
          `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`,
          { fieldSelector: `metadata.name=${name}`, resourceVersion: rv, allowWatchBookmarks: 'true' },
          (e) => {
            if (e.type === 'ERROR') return true; // resourceVersion too old: re-list below
            latest = e.object;
            rv = e.object.metadata?.resourceVersion ?? rv;
            if (e.type === 'BOOKMARK') return false;
            if (e.type === 'DELETED') {
              failure = new NotFoundError(`pod "${name}" was deleted while the debugger was starting`);
              return true;
            }
            return inspect(e.object);
          },
          abort.signal,
        )
        .catch((err: unknown) => {
          if (err instanceof KubeStatusError && err.statusCode === 403) throw forbidden('watch pods', ns, err);
          throw err;
        });
      if (how === 'done' && (result || failure)) return settle();
      if (!abort.signal.aborted && (how === 'ended' || !latest)) {
        // The watch closed or expired: read the pod once and carry on from there.
        const pod = await getPod(kube, ns, name);
        if (inspect(pod)) return settle();
        rv = pod.metadata?.resourceVersion;
      }
    }
    const last = lastReason ? ` (last state: ${lastReason.replace('|', ': ').replace(/: $/, '')})` : '';
    throw new TimeoutError(
      `the debugger did not start within ${Math.round(input.timeoutMs / 1000)}s${last}; raise --timeout or check the node`,
    );
  } finally {
    clearTimeout(timer);
    abort.abort();
  }

  function settle(): DebuggerState {
    if (failure) throw failure;
    if (!result) throw new ApiError('internal: watch ended without a state');
    return result;
  }
}


function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
