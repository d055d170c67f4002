import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/rest.js';
import { describeLastRun, isRunning, lastRun } from '../plan/not-running.js';
import type { Emit } from '../progress/events.js';

/** How many lines of the last run's log are shown. */
export const LOG_LINES = 10;

/**
 * Before the plugin refuses a target that is not running (or copies it with
 * --copy-to): why it is not running, from the pod status, and the last lines
 * of its last run's log. Best effort and bounded: a denied or slow log read
 * only costs those lines.
 */
export async function explainNotRunning(kube: KubeClient, pod: V1Pod, container: string, emit: Emit): Promise<void> {
  if (isRunning(pod, container) || pod.metadata?.deletionTimestamp) return;
  const run = lastRun(pod, container);
  if (!run) return;
  emit({ kind: 'info', text: describeLastRun(container, run) });
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const text = await readLog(kube, ns, name, container, run.previous).catch((err: unknown) => {
    emit({ kind: 'debug', text: `could not read the log of ${container}: ${err instanceof Error ? err.message : String(err)}` });
    return undefined;
  });
  if (text === undefined) return;
  const lines = text.replace(/\n$/, '').split('\n').filter((l) => l !== '');
  if (lines.length === 0) {
    emit({ kind: 'info', text: `its ${run.previous ? 'previous ' : ''}log is empty` });
    return;
  }
  emit({ kind: 'info', text: `last lines of its ${run.previous ? 'previous ' : ''}log:` });
  for (const l of lines.slice(-LOG_LINES)) emit({ kind: 'info', text: `  | ${l}` });
}

async function readLog(kube: KubeClient, ns: string, name: string, container: string, previous: boolean): Promise<string> {
  return kube.getText(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}/log`, {
    container,
    previous: String(previous),
    tailLines: String(LOG_LINES),
    limitBytes: '8192',
  });
}
