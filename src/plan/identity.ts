import type { V1Pod } from '@kubernetes/client-node';
import { containerStatus } from './target.js';

/** Where the debugger's UID/GID came from, in order of trust. */
export type IdentitySource =
  | 'flag'
  | 'status' // status.containerStatuses[].user.linux: the real process identity
  | 'container-securityContext'
  | 'pod-securityContext'
  | 'image' // the image config's User, read from the registry
  | 'probe' // nothing known: start as nonroot, let the keeper report the truth
  | 'profile' // --profile general: root with SYS_PTRACE, whoever the target is
  | 'correction'; // the keeper found the target's real identity

export interface Identity {
  uid: number;
  gid: number;
  source: IdentitySource;
}

/** An image config's User as numbers; the group may be left to the runtime. */
export interface ImageUser {
  uid: number;
  gid: number | undefined;
}

/** distroless `nonroot`: the most likely identity when nothing says otherwise. */
export const NONROOT = 65532;

export interface IdentityInput {
  pod: V1Pod;
  container: string;
  uid?: number | undefined;
  gid?: number | undefined;
  /** The image config's User, already resolved to numbers, if it was readable. */
  imageUser?: ImageUser | undefined;
}

/**
 * Decides who the debugger runs as. Reading another process's /proc/PID/root
 * needs ptrace access, which (without CAP_SYS_PTRACE) means the same UID and
 * GID as the target, so the target's real identity is what we want.
 */
export function decideIdentity(input: IdentityInput): Identity {
  const { pod, container } = input;
  const detected = detectIdentity(pod, container, input.imageUser);
  if (input.uid !== undefined) {
    return { uid: input.uid, gid: input.gid ?? detected?.gid ?? input.uid, source: 'flag' };
  }
  if (detected) {
    return input.gid === undefined ? detected : { ...detected, gid: input.gid, source: 'flag' };
  }
  // A runAsGroup without runAsUser is certain even when the user is a guess.
  const spec = pod.spec?.containers?.find((c) => c.name === container);
  const knownGid = spec?.securityContext?.runAsGroup ?? pod.spec?.securityContext?.runAsGroup;
  return { uid: NONROOT, gid: input.gid ?? knownGid ?? NONROOT, source: input.gid === undefined ? 'probe' : 'flag' };
}

function detectIdentity(pod: V1Pod, container: string, imageUser: IdentityInput['imageUser']): Identity | undefined {
  const linux = containerStatus(pod, container)?.user?.linux;
  if (linux && Number.isInteger(linux.uid) && Number.isInteger(linux.gid)) {
    return { uid: linux.uid, gid: linux.gid, source: 'status' };
  }
  const spec = pod.spec?.containers?.find((c) => c.name === container);
  const csc = spec?.securityContext;
  const psc = pod.spec?.securityContext;
  const uid = csc?.runAsUser ?? psc?.runAsUser;
  if (uid !== undefined) {
    // Without runAsGroup the runtime takes the group from the image's passwd
    // entry; the image's User is our best guess for that, then the UID itself.
    const gid = csc?.runAsGroup ?? psc?.runAsGroup ?? (imageUser?.uid === uid ? imageUser.gid : undefined) ?? uid;
    return { uid, gid, source: csc?.runAsUser !== undefined ? 'container-securityContext' : 'pod-securityContext' };
  }
  if (imageUser) {
    return { uid: imageUser.uid, gid: imageUser.gid ?? csc?.runAsGroup ?? psc?.runAsGroup ?? imageUser.uid, source: 'image' };
  }
  return undefined;
}

export function describeIdentity(id: Identity): string {
  const from: Record<IdentitySource, string> = {
    flag: 'from --uid/--gid',
    status: "the target's process identity reported by the runtime",
    'container-securityContext': "the container's securityContext",
    'pod-securityContext': "the pod's securityContext",
    image: "the image's User",
    probe: 'a guess (distroless nonroot); corrected automatically if wrong',
    profile: '--profile general: root with SYS_PTRACE, opens any target',
    correction: "the target's real identity, found by the first debugger",
  };
  return `uid ${id.uid} gid ${id.gid} (${from[id.source]})`;
}

/** Parses an image config `User` ("65532", "65532:65532", "nonroot" is unusable). */
export function parseImageUser(user: string | undefined): ImageUser | undefined {
  if (user === undefined || user === '') return { uid: 0, gid: 0 };
  const [u, g] = user.split(':');
  if (u === undefined || !/^\d+$/.test(u)) return undefined;
  if (g !== undefined && !/^\d+$/.test(g)) return { uid: Number(u), gid: undefined };
  return { uid: Number(u), gid: g === undefined ? undefined : Number(g) };
}
