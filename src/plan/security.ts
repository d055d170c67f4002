import type { V1SecurityContext } from '@kubernetes/client-node';
import { PodSecurityError, UsageError } from '../errors.js';
import type { Identity } from './identity.js';

export const PROFILES = ['auto', 'restricted', 'baseline', 'general'] as const;
export type ProfileName = (typeof PROFILES)[number];
export type PsaLevel = 'privileged' | 'baseline' | 'restricted';

export interface SecurityDecision {
  profile: Exclude<ProfileName, 'auto'>;
  securityContext: V1SecurityContext;
}

// Small appliers, composed per profile (the kubectl debug profiles pattern).
type Applier = (sc: V1SecurityContext, id: Identity) => void;

const runAsIdentity: Applier = (sc, id) => {
  sc.runAsUser = id.uid;
  sc.runAsGroup = id.gid;
  if (id.uid !== 0) sc.runAsNonRoot = true;
};
const noPrivilegeEscalation: Applier = (sc) => {
  sc.allowPrivilegeEscalation = false;
};
const dropAllCapabilities: Applier = (sc) => {
  sc.capabilities = { ...sc.capabilities, drop: ['ALL'] };
};
const runtimeDefaultSeccomp: Applier = (sc) => {
  sc.seccompProfile = { type: 'RuntimeDefault' };
};
const allowProcessTracing: Applier = (sc) => {
  sc.capabilities = { ...sc.capabilities, add: ['SYS_PTRACE'] };
};
// Capabilities given to a non-root process land only in its bounding set
// (no ambient set in containers): SYS_PTRACE is usable only by root.
const runAsRoot: Applier = (sc) => {
  sc.runAsUser = 0;
  sc.runAsGroup = 0;
};

/**
 * A non-root debugger with the target's UID needs no capability at all to
 * open /proc/PID/root, so it drops them all and passes `restricted`. A root
 * target's permitted capabilities must be a subset of the debugger's, so a
 * root debugger keeps the runtime's default set (still `baseline`).
 */
const least: Applier[] = [runAsIdentity, noPrivilegeEscalation, runtimeDefaultSeccomp];
const appliers: Record<Exclude<ProfileName, 'auto'>, (id: Identity) => Applier[]> = {
  restricted: () => [...least, dropAllCapabilities],
  baseline: (id) => (id.uid === 0 ? least : [...least, dropAllCapabilities]),
  // The escape hatch: root with the runtime's default capabilities plus
  // SYS_PTRACE opens any target (another UID, a non-dumpable process, a root
  // target's full capability set). Still no privilege escalation, still
  // seccomp RuntimeDefault, never privileged, no host namespaces.
  general: () => [runAsRoot, noPrivilegeEscalation, runtimeDefaultSeccomp, allowProcessTracing],
};

export function decideSecurity(input: {
  identity: Identity;
  profile: ProfileName;
  psaLevel: PsaLevel | undefined;
}): SecurityDecision {
  const { identity, psaLevel } = input;
  let profile: Exclude<ProfileName, 'auto'>;
  if (input.profile === 'auto') {
    if (identity.uid === 0 && psaLevel === 'restricted') {
      throw new PodSecurityError(
        'the namespace enforces Pod Security "restricted", which forbids a root debugger, and the target runs as root; ask an admin to debug it from a namespace with "baseline"',
      );
    }
    profile = identity.uid === 0 ? 'baseline' : 'restricted';
  } else {
    profile = input.profile;
  }
  if (profile === 'general' && (psaLevel === 'baseline' || psaLevel === 'restricted')) {
    throw new PodSecurityError(
      `the namespace enforces Pod Security "${psaLevel}", which forbids the SYS_PTRACE capability of --profile general; drop --profile general, or ask an admin to debug from a namespace with "privileged"`,
    );
  }
  if (profile === 'general' && identity.uid !== 0) {
    throw new UsageError(`--profile general runs the debugger as root (uid 0) with SYS_PTRACE; drop --uid/--gid (got uid ${identity.uid})`);
  }
  if (profile === 'restricted' && identity.uid === 0) {
    throw new UsageError(
      '--profile restricted needs a non-root debugger, but the target runs as root (uid 0); use --profile baseline',
    );
  }
  const sc: V1SecurityContext = {};
  for (const apply of appliers[profile](identity)) apply(sc, identity);
  return { profile, securityContext: sc };
}

export function isPsaLevel(v: string | undefined): v is PsaLevel {
  return v === 'privileged' || v === 'baseline' || v === 'restricted';
}
