import type { V1Pod } from '@kubernetes/client-node';
import type { Options } from '../options.js';
import { addEphemeralContainer } from '../kube/pods.js';
import type { KubeClient } from '../kube/rest.js';
import type { DebugPlan } from '../plan/plan.js';
import type { Emit } from '../progress/events.js';

/**
 * --dry-run: client prints the container that would be added (or the one that
 * would be reused); server sends the patch with dryRun=All and prints the pod
 * as the API server would store it. Neither changes anything.
 */
export async function printPlan(input: {
  plan: DebugPlan;
  options: Options;
  kube: KubeClient;
  pod: V1Pod;
  emit: Emit;
  stdout: NodeJS.WritableStream;
}): Promise<number> {
  const { plan, options, emit } = input;
  let doc: unknown;
  if (plan.action.kind === 'reuse') {
    const name = plan.action.container;
    emit({ kind: 'info', text: `would reuse debugger ${name}, already running (--new to add one)` });
    doc = input.pod.spec?.ephemeralContainers?.find((c) => c.name === name);
  } else if (options.dryRun === 'server') {
    doc = await addEphemeralContainer(input.kube, plan.namespace, input.pod, plan.action.container, true);
    emit({ kind: 'info', text: 'server dry run: the API server accepted the debugger; nothing was changed' });
  } else {
    doc = plan.action.container;
  }
  input.stdout.write(await render(doc, options.output ?? 'yaml'));
  return 0;
}

export async function render(doc: unknown, format: 'yaml' | 'json'): Promise<string> {
  if (format === 'json') return JSON.stringify(doc, null, 2) + '\n';
  const { dump } = await import('js-yaml');
  return dump(doc, { noRefs: true, lineWidth: -1 });
}
