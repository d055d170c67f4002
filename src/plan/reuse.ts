import type { V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { NAME_PREFIX } from './container.js';
import type { Identity } from './identity.js';

/**
 * Ephemeral containers can never be removed, so a runbook running ten
 * commands must not leave ten behind: a running keeper for the same target,
 * image and identity serves every later session.
 */
export function findReusableDebugger(input: {
  pod: V1Pod;
  target: string;
  image: string;
  identity: Identity;
  /** --env: sessions inherit the keeper's environment, so it must match. */
  env: Record<string, string>;
}): string | undefined {
  const { pod } = input;
  // Start times, not list order: a strategic merge patch does not append.
  const started = new Map<string, number>();
  for (const s of pod.status?.ephemeralContainerStatuses ?? []) {
    if (s.state?.running) started.set(s.name, new Date(s.state.running.startedAt ?? 0).getTime());
  }
  const candidates = (pod.spec?.ephemeralContainers ?? []).filter(
    (c) =>
      c.name.startsWith(NAME_PREFIX) &&
      started.has(c.name) &&
      c.targetContainerName === input.target &&
      c.image === input.image &&
      envValue(c, 'DD_MODE') === 'exec' &&
      c.securityContext?.runAsUser === input.identity.uid &&
      c.securityContext?.runAsGroup === input.identity.gid &&
      sameUserEnv(c, input.env),
  );
  // The newest is the most likely to outlive this session.
  candidates.sort((a, b) => (started.get(a.name) ?? 0) - (started.get(b.name) ?? 0));
  return candidates.at(-1)?.name;
}

function sameUserEnv(c: V1EphemeralContainer, env: Record<string, string>): boolean {
  const theirs = (c.env ?? []).filter((e) => !e.name.startsWith('DD_'));
  const ours = Object.entries(env);
  return theirs.length === ours.length && theirs.every((e) => Object.hasOwn(env, e.name) && env[e.name] === (e.value ?? ''));
}

function envValue(c: V1EphemeralContainer, name: string): string | undefined {
  return c.env?.find((e) => e.name === name)?.value;
}

/** Earlier debuggers of this plugin, for messages about Pod Security. */
export function previousDebuggers(pod: V1Pod): V1EphemeralContainer[] {
  return (pod.spec?.ephemeralContainers ?? []).filter((c) => c.name.startsWith(NAME_PREFIX));
}
