/**
 * `--copy-to NAME [--rm]`: a session in a copy of the pod whose app container
 * idles in BusyBox (plan/copy-pod.ts), for targets that crash or have
 * completed. Create the copy (after the RBAC it needs is confirmed), wait
 * for it, exec into its app container with the session's terminal handling
 * (session/terminal-stream.ts), and with --rm delete it on every way out:
 * the session's end, an error, a lost connection, a signal.
 */
import type { V1Container, V1LabelSelector, V1Pod } from '@kubernetes/client-node';
import { ApiError, DebuggerFailedError, ForbiddenError, ImagePullError, NotRunningError, PodSecurityError, TimeoutError, UsageError } from '../errors.js';
import { onShutdownAsync } from '../cli/shutdown.js';
import { formatDuration } from '../duration.js';
import { canI } from '../kube/access.js';
import { KubeStatusError, type KubeClient } from '../kube/rest.js';
import { TARGET_KINDS } from '../kinds.js';
import { explainGetError, getPod, listPods } from '../kube/pods.js';
import { pickPod, selectorString } from '../kube/workload.js';
import type { Options, TargetRef } from '../options.js';
import {
  appCommand,
  buildPodCopy,
  COPY_BIN,
  COPY_INIT,
  copySessionScript,
  pickCopySource,
  podFromTemplate,
  shellJoin,
  type ImageCommand,
  type WorkloadTemplate,
} from '../plan/copy-pod.js';
import type { Emit } from '../progress/events.js';
import { sessionShape, type SessionPlan } from '../plan/plan.js';
import { chooseTarget } from '../plan/target.js';
import { lookupImageUser } from './image-identity.js';
import { explainNotRunning } from './not-running.js';
import type { RunClient, RunIO } from './run.js';
import { streamSession } from './terminal-stream.js';

const podsPath = (ns: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`;

export async function runCopyTo(options: Options, io: RunIO, client: RunClient): Promise<number> {
  const { kube, conn } = client;
  const { emit } = io;
  const ns = conn.namespace;
  const name = options.copyTo as string;
  const original = await copySource(kube, ns, options.ref, emit);
  const target = chooseTarget(original, options.container);
  emit({ kind: 'info', text: `pod/${original.metadata?.name ?? ''}: container ${target.container}` });
  await explainNotRunning(kube, original, target.container, emit);
  if (options.dryRun !== 'none') return printCopyPlan(kube, ns, original, target.container, name, options, io);

  // Before anything is created: the rights the copy needs, all at once.
  const needed = [
    { verb: 'create', resource: 'pods' },
    ...(options.rm ? [{ verb: 'delete', resource: 'pods' }] : []),
    { verb: 'create', resource: 'pods', subresource: 'exec' },
  ];
  const allowed = await Promise.all(needed.map((c) => canI(kube, ns, c)));
  const missing = needed.filter((_, i) => !allowed[i]).map((c) => `"${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''}"`);
  if (missing.length > 0) {
    throw new ForbiddenError(
      `--copy-to needs ${missing.join(' and ')} in namespace "${ns}" (RBAC), which you do not have; ask your cluster admin, or debug a running pod without --copy-to`,
    );
  }

  const app = original.spec?.containers?.find((c) => c.name === target.container) as V1Container;
  const command = appCommand(app, app.command?.length ? undefined : await imageCommand(kube, original, options, io));
  const copy = buildPodCopy({ pod: original, name, container: target.container, image: options.image, imagePullPolicy: options.imagePullPolicy });
  emit({ kind: 'step', text: `Creating pod/${name}, a copy of pod/${original.metadata?.name ?? ''}` });
  await createCopy(kube, ns, copy, name);

  let removed = false;
  const remove = async (): Promise<void> => {
    if (removed) return;
    removed = true;
    await kube.request('DELETE', `${podsPath(ns)}/${encodeURIComponent(name)}`, { body: { gracePeriodSeconds: 0 }, timeoutMs: 4000 }).catch(() => undefined);
  };
  const offShutdown = options.rm ? onShutdownAsync(remove) : () => undefined;
  emit({ kind: 'info', text: `created pod/${name}: the app container idles in BusyBox instead of running its command` });
  try {
    await waitForCopy(kube, ns, name, target.container, options, io);
    emit({ kind: 'info', text: command ? `the app's command (in $APP_COMMAND): ${shellJoin(command)}` : "the app's command is the image's own (its config could not be read); $APP_COMMAND is empty" });
    const session = sessionShape(options, io.stdin.isTTY === true);
    const plan: SessionPlan = { namespace: ns, pod: name, mode: 'exec', target: { container: target.container }, session };
    emit({
      kind: 'ready',
      text: session.command.length === 0 ? `shell in pod/${name} (${target.container}), a copy of pod/${original.metadata?.name ?? ''}; cwd is /, exit to leave` : `running in pod/${name} (${target.container})`,
    });
    const code = await streamSession({
      kube,
      conn,
      plan,
      container: target.container,
      kind: 'exec',
      command: [`${COPY_BIN}/sh`, '-c', copySessionScript(`[copy pod/${name} ${target.container}] $PWD \\$ `), 'distroless-debug-copy', command ? shellJoin(command) : '', ...session.command],
      io,
      emit,
    });
    return code ?? 0;
  } finally {
    offShutdown();
    if (options.rm) {
      await remove();
      emit({ kind: 'info', text: `deleted pod/${name}` });
    } else {
      // A pod left behind is said even with -q.
      const line = `pod/${name} stays; delete it with: kubectl delete pod ${name} -n ${ns}`;
      if (options.quiet) io.stderr.write(`distroless-debug: ${line}\n`);
      else emit({ kind: 'info', text: line });
    }
  }
}

/**
 * The pod a copy is made of. A pod by name is itself (running or not); a
 * workload's running and ready pod first, as for every target, else its
 * newest pod (the crash-loop case: its pods exist but none runs), else, with
 * no pods at all, the pod its template describes.
 */
async function copySource(kube: KubeClient, ns: string, ref: TargetRef, emit: Emit): Promise<V1Pod> {
  if (ref.kind === 'pod') return getPod(kube, ns, ref.name);
  const w = TARGET_KINDS.find((k) => k.kind === ref.kind);
  if (!w) throw new Error(`unknown kind ${ref.kind}`);
  let workload: WorkloadTemplate & { spec?: { selector?: V1LabelSelector } };
  try {
    workload = await kube.get(w.objectPath(ns, ref.name));
  } catch (err) {
    throw await explainGetError(kube, err, ns, `${ref.kind} "${ref.name}"`, `get ${w.plural}`);
  }
  const pods = await listPods(kube, ns, selectorString(workload.spec?.selector));
  const chosen = pickCopySource(pods, pickPod(pods));
  if (chosen) return chosen;
  const fromTemplate = podFromTemplate(workload, ns);
  if (!fromTemplate) throw new NotRunningError(`${w.short}/${ref.name} has no pods and no pod template to copy; name a pod directly`);
  emit({ kind: 'info', text: `${w.short}/${ref.name} has no pods: the copy is made from its pod template` });
  return fromTemplate;
}

/**
 * --dry-run with --copy-to: the copy pod that would be created, changing
 * nothing. client prints it as built here; server sends the create with
 * dryRun=All and prints the pod as the API server would store it (admission,
 * Pod Security and defaults applied), as --dry-run=server does for a debugger.
 */
async function printCopyPlan(kube: KubeClient, ns: string, original: V1Pod, container: string, name: string, options: Options, io: RunIO): Promise<number> {
  const app = original.spec?.containers?.find((c) => c.name === container) as V1Container;
  const command = appCommand(app, app.command?.length ? undefined : await imageCommand(kube, original, options, io));
  const copy = buildPodCopy({ pod: original, name, container, image: options.image, imagePullPolicy: options.imagePullPolicy });
  let doc: unknown = copy;
  if (options.dryRun === 'server') {
    doc = await createCopy(kube, ns, copy, name, true);
    io.emit({ kind: 'info', text: `server dry run: the API server accepted the copy pod/${name}; nothing was changed` });
  } else {
    io.emit({ kind: 'info', text: `would create pod/${name}, a copy of pod/${original.metadata?.name ?? ''} whose app container idles in BusyBox; nothing was changed` });
  }
  io.emit({ kind: 'info', text: command ? `the app's command (in $APP_COMMAND): ${shellJoin(command)}` : "the app's command is the image's own (its config could not be read); $APP_COMMAND would be empty" });
  const { render } = await import('./output.js');
  io.stdout.write(await render(doc, options.output ?? 'yaml'));
  return 0;
}

/** ENTRYPOINT and CMD from the image config (best effort: the registry may be out of reach). */
async function imageCommand(kube: KubeClient, pod: V1Pod, options: Options, io: RunIO): Promise<ImageCommand | undefined> {
  let config: Record<string, unknown> | undefined;
  const target = chooseTarget(pod, options.container);
  await lookupImageUser({
    kube,
    pod,
    target,
    env: io.env,
    emit: io.emit,
    ...(options.pullSecrets === false ? { pullSecrets: false } : {}),
    onConfig: (c) => (config = c),
  }).catch(() => undefined);
  const inner = (config as { config?: { Entrypoint?: unknown; Cmd?: unknown } } | undefined)?.config;
  if (!inner) return undefined;
  const words = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);
  return { entrypoint: words(inner.Entrypoint), cmd: words(inner.Cmd) };
}

async function createCopy(kube: KubeClient, ns: string, copy: V1Pod, name: string, dryRun = false): Promise<V1Pod> {
  try {
    return await kube.request<V1Pod>('POST', podsPath(ns), { body: copy, ...(dryRun ? { query: { dryRun: 'All' } } : {}) });
  } catch (err) {
    if (!(err instanceof KubeStatusError)) throw err;
    const message = err.status.message ?? `HTTP ${err.statusCode}`;
    if (err.statusCode === 409) {
      throw new UsageError(`pod ${name} already exists in namespace "${ns}"; pick another --copy-to name, or delete it: kubectl delete pod ${name} -n ${ns}`);
    }
    if (err.statusCode === 403 && /PodSecurity|violates/i.test(message)) {
      throw new PodSecurityError(`Pod Security rejected the copy pod/${name}: ${message}`, { cause: err });
    }
    if (err.statusCode === 403) {
      throw new ForbiddenError(`not allowed to create pods in namespace "${ns}" (RBAC): --copy-to needs "create pods"; ask your cluster admin`, { cause: err });
    }
    throw new ApiError(`the API server refused the copy pod/${name}: ${message}`, { cause: err });
  }
}

/** Waits (--timeout) until the copy's app container runs; a copy that cannot start fails fast with the kubelet's reason. */
async function waitForCopy(kube: KubeClient, ns: string, name: string, container: string, options: Options, io: RunIO): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    const pod = await kube.get<V1Pod>(`${podsPath(ns)}/${encodeURIComponent(name)}`);
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    const app = pod.status?.containerStatuses?.find((s) => s.name === container);
    if (app?.state?.running) return;
    for (const s of statuses) {
      const w = s.state?.waiting;
      const t = s.state?.terminated;
      if (w?.reason && `${s.name}|${w.reason}` !== last && w.reason !== 'PodInitializing' && w.reason !== 'ContainerCreating') {
        last = `${s.name}|${w.reason}`;
        io.emit({ kind: 'waiting', reason: `${s.name}: ${w.reason}`, message: w.message });
      }
      if (w?.reason && /ErrImagePull|ImagePullBackOff|InvalidImageName/.test(w.reason)) {
        const what = s.name === COPY_INIT ? `the debug image ${options.image}` : `the app's image`;
        throw new ImagePullError(`the copy pod/${name} cannot pull ${what}: ${w.reason}${w.message ? `: ${w.message}` : ''}; the copy stays for inspection (kubectl describe pod ${name} -n ${ns})`);
      }
      if (w?.reason && /CreateContainerConfigError|CreateContainerError|RunContainerError/.test(w.reason)) {
        throw new DebuggerFailedError(`the copy pod/${name} cannot start container ${s.name}: ${w.reason}${w.message ? `: ${w.message}` : ''}`);
      }
      if (t && (s.name === COPY_INIT || s.name === container) && t.exitCode !== 0) {
        throw new DebuggerFailedError(`container ${s.name} of the copy pod/${name} exited with ${t.exitCode} (${t.reason ?? 'error'}); see kubectl logs ${name} -c ${s.name} -n ${ns}`);
      }
    }
    if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') {
      throw new NotRunningError(`the copy pod/${name} ended (phase ${pod.status.phase}) before the session could start; see kubectl describe pod ${name} -n ${ns}`);
    }
    const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
    if (unschedulable && last !== 'unschedulable') {
      last = 'unschedulable';
      io.emit({ kind: 'waiting', reason: 'Unschedulable', message: unschedulable.message });
    }
    if (Date.now() >= deadline) {
      throw new TimeoutError(`the copy pod/${name} did not start within ${formatDuration(options.timeoutMs)}${last ? ` (last: ${last.replace('|', ': ')})` : ''}; raise --timeout, or see kubectl describe pod ${name} -n ${ns}`);
    }
    await new Promise((r) => setTimeout(r, 400));
  }
}
