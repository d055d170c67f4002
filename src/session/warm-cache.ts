import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Options } from '../options.js';
import type { Identity } from '../plan/identity.js';

/**
 * Remembers which debugger served a pod for a given set of options, so the
 * next run can open its exec at once, without reading the pod first (the
 * pod is read only if that debugger cannot serve): what makes a command on a
 * running debugger cost about what `kubectl exec` costs.
 *
 * Safe because a debugger's name is a digest of its whole spec and ephemeral
 * containers never change: a running container of that name in that pod is
 * exactly the debugger this run would pick, and its keeper already proved it
 * can open the target (a target restart kills it). When it is gone the exec
 * is refused before anything runs and the run takes the ordinary path.
 */
export interface WarmEntry {
  debugger: string;
  target: string;
  /** What the debugger runs as: fixed for its life, so it is printed as is. */
  identity?: Identity | undefined;
  profile?: string | undefined;
  /** The line saying someone else opened this debugger (said again on every reuse). */
  foreign?: string | undefined;
}

const LIMIT = 200;

export function warmKey(server: string, namespace: string, options: Options): string {
  const o = options;
  const parts = [server, namespace, o.ref.kind, o.ref.name, o.container, o.image, o.imagePullPolicy, o.uid, o.gid, o.profile, o.env, o.idleTimeoutSeconds];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

export function warmFile(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || homedir(), '.cache');
  return path.join(base, 'kubectl-distroless-debug', 'debuggers.json');
}

type Table = Record<string, WarmEntry & { at: number }>;

async function readTable(file: string): Promise<Table> {
  try {
    const t = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return t !== null && typeof t === 'object' && !Array.isArray(t) ? (t as Table) : {};
  } catch {
    return {};
  }
}

export async function readWarm(file: string, key: string): Promise<WarmEntry | undefined> {
  const e = (await readTable(file))[key];
  if (!e || typeof e.debugger !== 'string' || typeof e.target !== 'string') return undefined;
  const id = e.identity;
  const identity = id && Number.isInteger(id.uid) && Number.isInteger(id.gid) && typeof id.source === 'string' ? id : undefined;
  return {
    debugger: e.debugger,
    target: e.target,
    identity,
    profile: typeof e.profile === 'string' ? e.profile : undefined,
    ...(typeof e.foreign === 'string' ? { foreign: e.foreign } : {}),
  };
}

/** Best effort: a read-only home or a race with another run only costs the speed-up. */
export async function writeWarm(file: string, key: string, entry: WarmEntry): Promise<void> {
  try {
    const table = await readTable(file);
    if (table[key]?.debugger === entry.debugger && table[key]?.target === entry.target && table[key]?.profile === entry.profile && table[key]?.foreign === entry.foreign) return;
    table[key] = { ...entry, at: Date.now() };
    const kept = Object.entries(table)
      .sort(([, a], [, b]) => b.at - a.at)
      .slice(0, LIMIT);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(Object.fromEntries(kept)), { mode: 0o600 });
    await rename(tmp, file);
  } catch {
    // no cache, no harm
  }
}
