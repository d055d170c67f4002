import { formatDuration } from '../duration.js';
import type { V1ContainerState, V1EphemeralContainer, V1Pod, V1PodList } from '@kubernetes/client-node';
import {
  ApiError,
  ConnectionLostError,
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
 * How long a watch may stay silent before the pod is read once more: a
 * silent watch may be a quiet pod or a dead connection (a black-holed server
 * sends nothing and closes nothing), and only an answer tells them apart.
 * With --request-timeout the check comes often enough for that bound to hold.
 */
export function probeAfterMs(requestTimeoutMs: number | undefined): number {
  if (requestTimeoutMs === undefined) return 5_000;
  return Math.min(1_000, Math.max(200, Math.floor(requestTimeoutMs / 5)));
}

/** The API server could not be reached for now; it may come back within --timeout. */
export function isTransient(err: unknown): boolean {
  if (err instanceof ConnectionLostError) return true;
  if (err instanceof KubeStatusError) return err.statusCode === 429 || err.statusCode >= 500;
  // "cannot reach the API server" (refused, unreachable, DNS): the server may be restarting.
  if (err instanceof ApiError && err.cause instanceof Error && 'code' in err.cause) return true;
  return false;
}

/**
 * Watches the pod until the debugger runs or stops, reporting each new
 * waiting reason; fails fast on errors that will not go away.
 *
 * The watch is the source (no polling while events flow). A watch that ends,
 * breaks or stays silent is followed by one read of the pod and a new watch
 * from its resourceVersion, for as long as --timeout allows: a connection
 * that drops, resets or comes back costs nothing. At the deadline the error
 * says whether the debugger was slow (73) or the API server stopped answering
 * (75). No call here changes the pod, so none of this can add a second debugger.
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
  const deadline = performance.now() + input.timeoutMs;
  const remaining = () => Math.max(0, deadline - performance.now());
  const timer = setTimeout(() => abort.abort(), input.timeoutMs);
  input.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  const requestTimeoutMs = kube.conn.requestTimeoutMs;
  const probeMs = probeAfterMs(requestTimeoutMs);
  /** Why the API server is out of reach right now; cleared by any answer. */
  let unreachable: Error | undefined;
  /** When the API server last answered (the patch had just been answered). */
  let lastAnswer = performance.now();
  let failures = 0;

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

  /** A failed call: remembered when the server may come back, thrown when it will not help to wait. */
  const absorb = async (err: unknown, what: string): Promise<void> => {
    if (abort.signal.aborted) return;
    if (err instanceof KubeStatusError && err.statusCode === 403) throw forbidden(`${what} pods`, ns, err);
    if (err instanceof KubeStatusError && err.statusCode === 404) {
      throw new NotFoundError(`pod "${name}" disappeared from namespace "${ns}" while the debugger was starting; pick a running pod`, { cause: err });
    }
    if (err instanceof TimeoutError) {
      // --request-timeout bounds every call: an unanswered read ends the run.
      throw new TimeoutError(
        `the API server at ${kube.host} stopped answering while debugger ${container} was starting (no answer within ${formatDuration(requestTimeoutMs ?? 0)}, --request-timeout); check the network, then run the same command again: it uses the debugger if it started`,
        { cause: err },
      );
    }
    if (!isTransient(err)) throw err instanceof KubeStatusError ? apiError(err) : err;
    unreachable = err instanceof Error ? err : new Error(String(err));
    failures++;
    // Back off a little (0.25, 0.5, 1, 2 s) so a refused connection is not hammered.
    const pause = Math.min(2_000, 250 * 2 ** Math.min(failures - 1, 3), remaining());
    await new Promise<void>((r) => {
      const t = setTimeout(r, pause);
      abort.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
    });
  };
  const answered = () => {
    unreachable = undefined;
    lastAnswer = performance.now();
    failures = 0;
  };

  try {
    if (inspect(input.pod)) return settle();
    let rv = input.pod.metadata?.resourceVersion;
    let read = false; // read the pod before the next watch
    while (!abort.signal.aborted) {
      if (read) {
        // Bounded by what is left of --timeout; --request-timeout, when smaller, applies inside.
        const left = remaining();
        const bound = requestTimeoutMs !== undefined && requestTimeoutMs <= left ? undefined : left;
        let pod: V1Pod;
        try {
          pod = await kube.get<V1Pod>(podPath(ns, name), undefined, bound);
        } catch (err) {
          // Our own deadline is not the server's fault: the loop ends below.
          if (bound !== undefined && err instanceof TimeoutError) {
            // Keep a more telling reason (e.g. ECONNREFUSED) from the calls before.
            unreachable ??= err;
            continue;
          }
          await absorb(err, 'get');
          continue;
        }
        answered();
        if (inspect(pod)) return settle();
        rv = pod.metadata?.resourceVersion;
        read = false;
      }
      let how: 'done' | 'ended' | 'idle';
      let opened = false;
      try {
        how = await kube.watch<{ type: string; object: V1Pod }>(
          `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`,
          { fieldSelector: `metadata.name=${name}`, resourceVersion: rv, allowWatchBookmarks: 'true' },
          (e) => {
            answered();
            if (e.type === 'ERROR') return true; // resourceVersion too old: re-read below
            if (e.type === 'DELETED') {
              failure = new NotFoundError(`pod "${name}" was deleted while the debugger was starting; pick a running pod`);
              return true;
            }
            if (!e.object?.metadata) return false;
            rv = e.object.metadata.resourceVersion ?? rv;
            if (e.type === 'BOOKMARK') return false;
            return inspect(e.object);
          },
          abort.signal,
          {
            idleMs: probeMs,
            onOpen: () => {
              opened = true;
              answered();
            },
          },
        );
      } catch (err) {
        // The deadline came while the server had not even answered the watch.
        if (abort.signal.aborted && !opened) unreachable ??= new TimeoutError('no answer to the watch');
        if (err instanceof KubeStatusError && err.statusCode === 410) {
          read = true;
          continue;
        }
        await absorb(err, 'watch');
        read = true;
        continue;
      }
      if (how === 'done' && (result || failure)) return settle();
      if (how === 'ended' && !abort.signal.aborted) answered();
      // Ended, expired, ERROR or silent: read the pod once and carry on from there.
      read = true;
    }
    if (unreachable) {
      const quiet = ` for the last ${formatDuration(Math.max(0, Math.round(performance.now() - lastAnswer)))}`;
      throw new ConnectionLostError(
        `lost contact with the API server at ${kube.host}${quiet} while debugger ${container} was starting (${describeCause(unreachable)}); check the network (VPN, proxy), then run the same command again: it uses the debugger if it started`,
        { cause: unreachable },
      );
    }
    const last = lastReason ? ` (last state: ${lastReason.replace('|', ': ').replace(/: $/, '')})` : '';
    throw new TimeoutError(`the debugger did not start within ${formatDuration(input.timeoutMs)}${last}; raise --timeout or check the node`);
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

function describeCause(err: Error): string {
  if (err instanceof TimeoutError) return 'no answer';
  const code = err.cause instanceof Error && 'code' in err.cause ? String((err.cause as NodeJS.ErrnoException).code) : undefined;
  if (code) return code;
  if (err instanceof KubeStatusError) return `HTTP ${err.statusCode}`;
  return err instanceof ConnectionLostError ? 'connection lost' : err.message;
}

/** 50 -> "50ms", 1500 -> "1.5s", 120000 -> "2m": never a misleading "0s". */
function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
