import type { V1EnvVar, V1EphemeralContainer, V1Pod, V1SecurityContext } from '@kubernetes/client-node';
import type { Identity } from './identity.js';
import { attachScript, keeperScript, promptFor } from './scripts.js';
import type { Target } from './target.js';

export const NAME_PREFIX = 'distroless-debug-';
export const DEFAULT_IMAGE = 'docker.io/library/busybox:1.37.0';

/** exec: a keeper idles and sessions exec into it. attach: the session is the main process. */
export type DebuggerMode = 'exec' | 'attach';

export interface ContainerInput {
  pod: V1Pod;
  name: string;
  image: string;
  imagePullPolicy: string | undefined;
  target: Target;
  identity: Identity;
  securityContext: V1SecurityContext;
  env: Record<string, string>;
  mode: DebuggerMode;
  /** attach mode: the user's command, run in the target's root. */
  command: string[];
  /** attach mode: whether the session is an interactive terminal. */
  tty: boolean;
  idleTimeoutSeconds: number;
}

/** A pure function of the pod and options: the container that gets patched in. */
export function buildDebugContainer(input: ContainerInput): V1EphemeralContainer {
  const { target, mode } = input;
  const env: V1EnvVar[] = [
    { name: 'DD_MODE', value: mode },
    { name: 'DD_IDLE_TIMEOUT', value: String(input.idleTimeoutSeconds) },
  ];
  if (target.containerId) env.push({ name: 'DD_TARGET_CID', value: target.containerId });
  for (const [name, value] of Object.entries(input.env)) env.push({ name, value });
  const podName = input.pod.metadata?.name ?? '';
  const script = mode === 'exec' ? keeperScript() : attachScript(promptFor(podName, target.container));
  const container: V1EphemeralContainer = {
    name: input.name,
    image: input.image,
    command: ['/bin/sh', '-c', script, `distroless-debug-${mode === 'exec' ? 'keeper' : 'session'}`, ...(mode === 'attach' ? input.command : [])],
    env,
    targetContainerName: target.container,
    securityContext: input.securityContext,
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  if (input.imagePullPolicy) container.imagePullPolicy = input.imagePullPolicy;
  if (mode === 'attach') {
    container.stdin = true;
    container.stdinOnce = true;
    container.tty = input.tty;
  }
  return container;
}

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** `distroless-debug-xxxxx`, unique among the pod's containers. */
export function debuggerName(pod: V1Pod, random: () => number): string {
  const taken = new Set(allContainerNames(pod));
  for (;;) {
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += ALPHABET[Math.floor(random() * ALPHABET.length)];
    const name = NAME_PREFIX + suffix;
    if (!taken.has(name)) return name;
  }
}

export function allContainerNames(pod: V1Pod): string[] {
  const s = pod.spec;
  return [...(s?.initContainers ?? []), ...(s?.containers ?? []), ...(s?.ephemeralContainers ?? [])].map((c) => c.name);
}
