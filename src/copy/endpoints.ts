/**
 * `cp`'s two operands: which one is in the cluster, which way the copy goes,
 * and the remote path as the app sees it. Pure.
 */
import { UsageError } from '../errors.js';
import { kindOf } from '../kinds.js';

export type Direction = 'out' | 'in';

export interface RemoteEndpoint {
  /** What the session parser takes as its target: NAME or KIND/NAME. */
  target: string;
  /** From kubectl's NAMESPACE/POD:PATH spelling, if used. */
  namespace: string | undefined;
  /** Absolute, normalised inside the app's root ("/" for the root). */
  path: string;
  /** As typed, for messages. */
  written: string;
}

export interface CopyEndpoints {
  direction: Direction;
  remote: RemoteEndpoint;
  local: string;
}

/**
 * An operand names the cluster when it has a ":" after something that can be
 * a pod, a KIND/NAME or kubectl's NAMESPACE/POD (no "." or "/" at the start,
 * at most one "/"): "./a:b" and "/tmp/a:b" stay local files.
 */
export function isRemote(operand: string): boolean {
  const colon = operand.indexOf(':');
  if (colon <= 0) return false;
  const head = operand.slice(0, colon);
  return !head.startsWith('.') && !head.startsWith('/') && head.split('/').length <= 2;
}

export function parseEndpoints(operands: string[]): CopyEndpoints {
  if (operands.length !== 2) {
    throw new UsageError(
      `cp needs a source and a destination, got ${operands.length === 0 ? 'none' : `"${operands.join(' ')}"`}; e.g. cp POD:/etc/app.conf ./app.conf or cp ./app.conf POD:/tmp/`,
    );
  }
  const [a, b] = operands as [string, string];
  const ra = isRemote(a);
  const rb = isRemote(b);
  if (ra && rb) throw new UsageError(`both "${a}" and "${b}" name a pod; one side of cp must be a local path`);
  if (!ra && !rb) throw new UsageError(`neither "${a}" nor "${b}" names a pod; write the pod side as POD:/path (or deploy/NAME:/path)`);
  const remote = parseRemote(ra ? a : b);
  const local = ra ? b : a;
  if (local === '') throw new UsageError('the local path is empty; give a file or directory, e.g. .');
  return { direction: ra ? 'out' : 'in', remote, local };
}

function parseRemote(operand: string): RemoteEndpoint {
  const colon = operand.indexOf(':');
  const head = operand.slice(0, colon);
  const rawPath = operand.slice(colon + 1);
  if (rawPath === '') throw new UsageError(`"${operand}" has no path after ":"; write POD:/path, e.g. ${head}:/etc`);
  let target = head;
  let namespace: string | undefined;
  const slash = head.indexOf('/');
  if (slash >= 0 && kindOf(head.slice(0, slash)) === undefined) {
    // kubectl cp's NAMESPACE/POD:PATH
    namespace = head.slice(0, slash);
    target = head.slice(slash + 1);
  }
  return { target, namespace, path: normaliseRemotePath(rawPath), written: operand };
}

/**
 * The path inside the app's root: relative paths start at the root (the
 * session's cwd), "." and ".." are folded, and ".." never climbs above the
 * root (the remote script does the same for symlinks).
 */
export function normaliseRemotePath(p: string): string {
  const out: string[] = [];
  for (const comp of p.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp === '..') out.pop();
    else out.push(comp);
  }
  return `/${out.join('/')}`;
}

/** The last component of a normalised remote path ("" for the root). */
export function remoteBase(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}
