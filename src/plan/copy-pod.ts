/**
 * `--copy-to NAME`: a copy of a crash-looping or completed pod in which the
 * app container keeps everything that makes it the app (image, env,
 * volumes, service account, security context, node constraints) but idles
 * in a static BusyBox instead of running its crashing entrypoint. Pure.
 *
 * An init container copies BusyBox from the debug image into a shared
 * emptyDir (with one link per applet), so the app's own image, which has no
 * shell, can run it. The session then execs into the app container itself:
 * as the app's identity, in the app's own root, mounts and environment,
 * where the app's command can be started by hand ($APP_COMMAND) with its own
 * libraries (an ephemeral debugger would see them only under /proc/PID/root).
 */
import { kubeLiteral } from './kube-literal.js';
import type { V1Container, V1Pod, V1SecurityContext } from '@kubernetes/client-node';
import { shellQuote } from './scripts.js';

/** Where BusyBox and its applet links appear in the copy's app container. */
export const COPY_DIR = '/.distroless-debug';
export const COPY_BIN = `${COPY_DIR}/bin`;
export const COPY_VOLUME = 'distroless-debug-busybox';
export const COPY_INIT = 'distroless-debug-busybox';
/** On the copy: which pod it copies (the only label it has, so no Service or controller selects it). */
export const COPY_OF_LABEL = 'distroless-debug/copy-of';

/** Runs BusyBox in the shared emptyDir as a non-root user with nothing else allowed: admitted by every Pod Security level. */
const INIT_SECURITY: V1SecurityContext = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

const INSTALL = `set -e
d=${COPY_BIN}
mkdir -p "$d"
cp /bin/busybox "$d/busybox"
chmod 0755 "$d/busybox"
for a in $(/bin/busybox --list); do
  [ "$a" = busybox ] || ln -sf busybox "$d/$a"
done`;

/** PID 1 of the copy's app container: idles, and ends at once on SIGTERM (a PID 1 without a handler would not). */
export const IDLE_SCRIPT = `trap 'exit 0' TERM INT
while :; do ${COPY_BIN}/busybox sleep 3600 & wait $!; done`;

/** Annotations a copy must not carry over (they describe the original's management). */
const DROPPED_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];

export interface CopyPodInput {
  pod: V1Pod;
  name: string;
  container: string;
  image: string;
  imagePullPolicy: string | undefined;
}

export function buildPodCopy(input: CopyPodInput): V1Pod {
  const { pod, name, container } = input;
  const spec = structuredClone(pod.spec ?? { containers: [] });
  const original = pod.metadata?.name ?? '';
  // Scheduling is the scheduler's again (node constraints stay); ephemeral
  // containers cannot be created with a pod.
  delete spec.nodeName;
  delete spec.ephemeralContainers;
  // The copy is for a person at a shell: nothing restarts it behind their back.
  spec.restartPolicy = 'Never';
  spec.volumes = [...(spec.volumes ?? []), { name: COPY_VOLUME, emptyDir: {} }];
  const init: V1Container = {
    name: COPY_INIT,
    image: input.image,
    command: ['/bin/sh', '-c', kubeLiteral(INSTALL)],
    volumeMounts: [{ name: COPY_VOLUME, mountPath: COPY_DIR }],
    securityContext: INIT_SECURITY,
    terminationMessagePolicy: 'File',
  };
  if (input.imagePullPolicy) init.imagePullPolicy = input.imagePullPolicy;
  spec.initContainers = [init, ...(spec.initContainers ?? [])];
  spec.containers = spec.containers.map((c) => (c.name === container ? idleApp(c) : c));
  const annotations = { ...(pod.metadata?.annotations ?? {}) };
  for (const a of DROPPED_ANNOTATIONS) delete annotations[a];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: pod.metadata?.namespace ?? '',
      // No label of the original: a Service, ReplicaSet, StatefulSet, Job or
      // DaemonSet selects pods by label, and would adopt or route to the copy.
      labels: { [COPY_OF_LABEL]: original },
      annotations,
    },
    spec,
  };
}

/** The app container, idling in BusyBox; probes and hooks (which run the app's own tools) go. */
function idleApp(c: V1Container): V1Container {
  const copy: V1Container = structuredClone(c);
  copy.command = [`${COPY_BIN}/busybox`, 'sh', '-c', kubeLiteral(IDLE_SCRIPT), 'distroless-debug-idle'];
  delete copy.args;
  delete copy.livenessProbe;
  delete copy.readinessProbe;
  delete copy.startupProbe;
  delete copy.lifecycle;
  copy.volumeMounts = [...(copy.volumeMounts ?? []), { name: COPY_VOLUME, mountPath: COPY_DIR, readOnly: true }];
  return copy;
}

/** The image config's ENTRYPOINT and CMD, when the registry could be read. */
export interface ImageCommand {
  entrypoint: string[] | undefined;
  cmd: string[] | undefined;
}

/**
 * The command the app container runs, by Kubernetes' rules: `command`
 * replaces the image's ENTRYPOINT (and drops its CMD), `args` replace CMD.
 * Undefined when it depends on an image config that could not be read.
 */
export function appCommand(c: V1Container, image: ImageCommand | undefined): string[] | undefined {
  if (c.command && c.command.length > 0) return [...c.command, ...(c.args ?? [])];
  if (!image) return undefined;
  return [...(image.entrypoint ?? []), ...(c.args ?? image.cmd ?? [])];
}

/** A command line a shell reads back as the same words. */
export function shellJoin(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : shellQuote(a))).join(' ');
}

/**
 * Each exec into the copy: `BUSYBOX sh -c SCRIPT distroless-debug-copy APP_COMMAND [COMMAND...]`.
 * BusyBox's applets first on PATH, $APP_COMMAND set, cwd /, then a shell or the command.
 */
export function copySessionScript(prompt: string): string {
  return `APP_COMMAND=$1
shift
PATH="${COPY_BIN}:\${PATH:-/usr/local/bin:/usr/bin:/bin}"
export APP_COMMAND PATH
cd / || exit 125
if [ $# -eq 0 ]; then
  PS1=${shellQuote(prompt)}
  export PS1
  if [ -t 0 ]; then exec sh -i; else exec sh; fi
fi
exec "$@"`;
}

/**
 * Which pod of a workload a copy is made from, when none of them runs and is
 * ready (the crash-loop case: `kubectl exec deploy/x` would have nothing to
 * enter). A running and ready pod first (what every other target takes), then
 * any pod that is not being deleted, newest first: in a rollout the newest
 * pods carry the current template. Undefined when there is no such pod (the
 * copy is then built from the workload's pod template). Pure.
 */
export function pickCopySource(pods: V1Pod[], ready: V1Pod | undefined): V1Pod | undefined {
  if (ready) return ready;
  const created = (p: V1Pod): number => {
    const t = p.metadata?.creationTimestamp;
    return t ? new Date(t).getTime() : 0;
  };
  const alive = pods.filter((p) => !p.metadata?.deletionTimestamp);
  alive.sort((a, b) => created(b) - created(a) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  return alive[0];
}

/** What a workload's GET gives a copy: its pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job). */
export interface WorkloadTemplate {
  metadata?: { name?: string; namespace?: string };
  spec?: { template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: V1Pod['spec'] } };
}

/**
 * A workload with no pods at all (scaled to zero, or its pods are gone): the
 * pod its controller would create, from its template, named after the
 * workload (the copy's `copy-of` label then names the workload). Undefined
 * when the object has no pod template. Pure.
 */
export function podFromTemplate(workload: WorkloadTemplate, namespace: string): V1Pod | undefined {
  const template = workload.spec?.template;
  if (!template?.spec) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: workload.metadata?.name ?? '',
      namespace,
      ...(template.metadata?.labels ? { labels: template.metadata.labels } : {}),
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
    },
    spec: structuredClone(template.spec),
  };
}
