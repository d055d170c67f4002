import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/rest.js';
import type { ImageUser } from '../plan/identity.js';
import { containerStatus, type Target } from '../plan/target.js';
import type { Emit } from '../progress/events.js';


/**
 * The image config's User is only worth a registry round trip when the
 * runtime did not report the identity and no securityContext names a user.
 */
export function needsImageUser(pod: V1Pod, target: Target, uidFlag: number | undefined): boolean {
  if (uidFlag !== undefined) return false;
  if (containerStatus(pod, target.container)?.user?.linux) return false;
  const spec = pod.spec?.containers?.find((c) => c.name === target.container);
  return spec?.securityContext?.runAsUser === undefined && pod.spec?.securityContext?.runAsUser === undefined;
}

/** Best effort: the registry by digest, with the user's docker config and readable pull secrets. */
export async function lookupImageUser(input: { kube: KubeClient; pod: V1Pod; target: Target; env: NodeJS.ProcessEnv; emit: Emit }): Promise<ImageUser | undefined> {
  const { pod, target, kube, emit } = input;
  const status = containerStatus(pod, target.container);
  const spec = pod.spec?.containers?.find((c) => c.name === target.container);
  const ns = pod.metadata?.namespace ?? '';
  const configs: string[] = [];
  const dockerConfig = `${input.env.DOCKER_CONFIG ?? `${homedir()}/.docker`}/config.json`;
  await readFile(dockerConfig, 'utf8').then((t) => configs.push(t), () => undefined);
  for (const ref of pod.spec?.imagePullSecrets ?? []) {
    // Reading secrets is often not allowed; the lookup then goes anonymous.
    const secret = await kube
      .get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(ref.name ?? '')}`)
      .catch(() => undefined);
    const data = secret?.data?.['.dockerconfigjson'] ?? secret?.data?.['.dockercfg'];
    if (data) configs.push(Buffer.from(data, 'base64').toString('utf8'));
  }
  const { fetchImageUser } = await import('../registry/image-user.js');
  return fetchImageUser({
    imageID: status?.imageID ?? '',
    image: spec?.image ?? status?.image ?? '',
    dockerConfigs: configs,
    log: (line) => emit({ kind: 'debug', text: line }),
  });
}
