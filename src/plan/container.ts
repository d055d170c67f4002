import { createHash } from 'node:crypto';
import type { V1EnvVar, V1EphemeralContainer, V1Pod, V1SecurityContext } from '@kubernetes/client-node';
import { recordEnv, withoutRecord, type DebuggerRecord } from '../record/record.js';
import type { Identity } from './identity.js';
import { kubeLiteral } from './kube-literal.js';
import { attachScript, keeperScript, leaseSeconds, promptFor } from './scripts.js';
import type { Target } from './target.js';

export const NAME_PREFIX = 'distroless-debug-';
export { DEFAULT_IMAGE } from './default-image.js';

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
  /** Who opened it, when, why: in the spec, never in the reuse key. */
  record?: DebuggerRecord | undefined;
}

/** A pure function of the pod and options: the container that gets patched in. */
export function buildDebugContainer(input: ContainerInput): V1EphemeralContainer {
  const { target, mode } = input;
  const env: V1EnvVar[] = [
    { name: 'DD_MODE', value: mode },
    { name: 'DD_IDLE_TIMEOUT', value: String(input.idleTimeoutSeconds) },
  ];
  if (mode === 'exec') env.push({ name: 'DD_LEASE', value: String(leaseSeconds(input.idleTimeoutSeconds)) });
  if (target.containerId) env.push({ name: 'DD_TARGET_CID', value: target.containerId });
  for (const [name, value] of Object.entries(input.env)) env.push({ name, value });
  if (input.record) env.push(...recordEnv(input.record));
  const podName = input.pod.metadata?.name ?? '';
  const script = mode === 'exec' ? keeperScript() : attachScript(promptFor(podName, target.container));
  const container: V1EphemeralContainer = {
    name: input.name,
    image: input.image,
    // Attach mode's command is the user's too: the kubelet must not expand it either.
    command: ['/bin/sh', '-c', script, `distroless-debug-${mode === 'exec' ? 'keeper' : 'session'}`, ...(mode === 'attach' ? input.command : [])].map(kubeLiteral),
    env,
    targetContainerName: target.container,
    securityContext: input.securityContext,
    // File, never FallbackToLogsOnError: the status is readable by anyone who
    // may get pods, and only what the keeper itself reports belongs there,
    // not the last lines of a session (an attach session is the main process).
    terminationMessagePolicy: 'File',
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

/** `distroless-debug-xxxxx`, random and unique among the pod's containers (--new, attach). */
export function debuggerName(pod: V1Pod, random: () => number): string {
  const taken = new Set(allContainerNames(pod));
  for (;;) {
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += ALPHABET[Math.floor(random() * ALPHABET.length)];
    const name = NAME_PREFIX + suffix;
    if (!taken.has(name)) return name;
  }
}

/**
 * Everything that decides what a debugger may do and how long it lives,
 * as one short digest: the container spec without its name and without its
 * record (who/when/why differs on every run; a key that covered it would
 * add a new permanent debugger each time). Two runs that would add the same
 * debugger compute the same key.
 */
export function reuseKey(container: V1EphemeralContainer): string {
  const { name: _name, ...rest } = withoutRecord(container);
  const digest = createHash('sha256').update(canonicalJSON(rest)).digest();
  let key = '';
  for (let i = 0; i < 8; i++) key += ALPHABET[(digest[i] as number) % ALPHABET.length];
  return key;
}

/**
 * The name of the shared debugger for `key`: `distroless-debug-KEY`, then
 * `-2`, `-3`... once earlier ones have exited. Runs that start at the same
 * moment pick the same name, and a strategic merge patch with an identical
 * container of an existing name changes nothing: however many runs race,
 * one debugger is added.
 */
export function sharedDebuggerName(pod: V1Pod, key: string): string {
  const taken = new Set(allContainerNames(pod));
  const base = NAME_PREFIX + key;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** JSON with object keys sorted, so equal specs hash equally whatever their key order. */
export function canonicalJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJSON).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJSON(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function allContainerNames(pod: V1Pod): string[] {
  const s = pod.spec;
  return [...(s?.initContainers ?? []), ...(s?.containers ?? []), ...(s?.ephemeralContainers ?? [])].map((c) => c.name);
}
