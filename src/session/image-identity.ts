import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/rest.js';
import type { ImageUser } from '../plan/identity.js';
import { containerStatus, type Target } from '../plan/target.js';
import type { Emit } from '../progress/events.js';
import type { DockerConfigSource } from '../registry/credentials.js';


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

/**
 * Best effort: the registry by digest, with the user's docker config and
 * readable pull secrets. The pod's pull secrets are the workload's
 * credentials, not the user's: they are read only when `pullSecrets` allows,
 * and sending one to a registry is announced on stderr (naming the secret and
 * the host, never the credential).
 */
export async function lookupImageUser(input: {
  kube: KubeClient;
  pod: V1Pod;
  target: Target;
  env: NodeJS.ProcessEnv;
  emit: Emit;
  /** --no-pull-secrets (or DISTROLESS_DEBUG_NO_PULL_SECRETS=1) turns this off. */
  pullSecrets?: boolean;
  /** Sees the image config once read (--copy-to: ENTRYPOINT and CMD). */
  onConfig?: (config: Record<string, unknown>) => void;
}): Promise<ImageUser | undefined> {
  const { pod, target, kube, emit } = input;
  const status = containerStatus(pod, target.container);
  const spec = pod.spec?.containers?.find((c) => c.name === target.container);
  const ns = pod.metadata?.namespace ?? '';
  const configs: DockerConfigSource[] = [];
  const dockerConfig = `${input.env.DOCKER_CONFIG ?? `${homedir()}/.docker`}/config.json`;
  await readFile(dockerConfig, 'utf8').then((text) => configs.push({ text, source: dockerConfig }), () => undefined);
  const secretNames = (pod.spec?.imagePullSecrets ?? []).map((r) => r.name ?? '').filter((n) => n !== '');
  const pullSecretSources = new Set<string>();
  if (input.pullSecrets === false) {
    if (secretNames.length > 0) emit({ kind: 'debug', text: `not reading the pod's pull secrets (${secretNames.join(', ')}): --no-pull-secrets` });
  } else {
    for (const secretName of secretNames) {
      // Reading secrets is often not allowed; the lookup then goes anonymous.
      const secret = await kube
        .get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(secretName)}`)
        .catch(() => undefined);
      const data = secret?.data?.['.dockerconfigjson'] ?? secret?.data?.['.dockercfg'];
      if (!data) continue;
      const source = pullSecretSource(secretName);
      pullSecretSources.add(source);
      emit({ kind: 'debug', text: `read ${source} for the image's registry` });
      configs.push({ text: Buffer.from(data, 'base64').toString('utf8'), source });
    }
  }
  const { fetchImageUser } = await import('../registry/image-user.js');
  return fetchImageUser({
    imageID: status?.imageID ?? '',
    image: spec?.image ?? status?.image ?? '',
    dockerConfigs: configs,
    onCredentialSend: (host, sources) => {
      const secrets = sources.filter((s) => pullSecretSources.has(s));
      if (secrets.length > 0) emit({ kind: 'info', text: announcement(secrets, host) });
    },
    log: (line) => emit({ kind: 'debug', text: line }),
    ...(input.onConfig ? { onConfig: input.onConfig } : {}),
  });
}

export function pullSecretSource(name: string): string {
  return `pull secret "${name}"`;
}

/** The one line that says the workload's credentials are about to leave for a registry. */
export function announcement(sources: string[], host: string): string {
  const what = sources.length === 1 ? `the pod's ${sources[0]}` : `the pod's pull secrets ${sources.map((s) => s.replace(/^pull secret /, '')).join(', ')}`;
  return `sending ${what} to ${host} to read the image's user (--no-pull-secrets to skip)`;
}
