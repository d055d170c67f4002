/**
 * The local processes this plugin started (exec credential plugins, run by
 * client-node), so that a signal never leaves one behind.
 *
 * client-node spawns credential plugins itself, so they are found through
 * Node's `child_process` diagnostics channel (every spawn in this process
 * is published there) rather than by changing the caller. On Linux, /proc
 * also finds their own children (a plugin that is a shell script running
 * the real tool).
 */
import type { ChildProcess } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

const live = new Set<ChildProcess>();
let tracking = false;

/** Starts recording every child process spawned from now on. Idempotent. */
export function trackChildren(): void {
  if (tracking) return;
  tracking = true;
  subscribe('child_process', (message) => {
    const child = (message as { process?: ChildProcess }).process;
    if (!child) return;
    live.add(child);
    child.once('exit', () => live.delete(child));
    child.once('error', () => live.delete(child));
  });
}

/** Pids of the children still running (spawned since trackChildren()). */
export function childPids(): number[] {
  return [...live].flatMap((c) => (c.pid !== undefined && c.exitCode === null && c.signalCode === null ? [c.pid] : []));
}

/** ppid of a process from /proc/PID/stat, or undefined off Linux / when it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root` (Linux; empty elsewhere). */
export function descendantsOf(root: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const ppid = parentOf(pid);
    if (ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (dead, not yet reaped by its new parent) still answers kill 0.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // Gone in between, or no /proc (not Linux) where kill 0 is all we know.
    return !existsSync('/proc/self/stat');
  }
}

/**
 * Ends every local process this one started, with their own children:
 * SIGTERM, then SIGKILL for whatever is still there after `graceMs`.
 */
export async function killChildren(graceMs = 300): Promise<void> {
  const pids = [...new Set([...childPids(), ...descendantsOf(process.pid)])];
  if (pids.length === 0) return;
  for (const pid of pids) signalPid(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pids.some(alive)) await new Promise((r) => setTimeout(r, 20));
  for (const pid of pids.filter(alive)) signalPid(pid, 'SIGKILL');
}

function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
