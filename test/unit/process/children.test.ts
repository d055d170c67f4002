import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { childPids, descendantsOf, killChildren, trackChildren } from '../../../src/process/children.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('child processes', () => {
  it('tracks spawned children and ends them with their own children (a credential plugin script)', async () => {
    trackChildren();
    // A shell script that runs the real (hanging) tool as its child, like many credential plugins.
    const child = spawn('sh', ['-c', 'sleep 300 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const grandchild = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    expect(childPids()).toContain(child.pid);
    expect(descendantsOf(process.pid)).toEqual(expect.arrayContaining([child.pid, grandchild]));
    const exited = new Promise((r) => child.once('exit', r));
    await killChildren(200);
    await exited;
    const deadline = Date.now() + 2_000;
    while (alive(grandchild) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(alive(grandchild)).toBe(false);
    expect(childPids()).not.toContain(child.pid);
  });

  it('SIGKILLs a child that ignores SIGTERM after the grace period', async () => {
    trackChildren();
    const child = spawn('sh', ['-c', "trap '' TERM; echo ready; while :; do sleep 0.05; done"], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, sig) => r(sig)));
    await killChildren(200);
    expect(await exited).toBe('SIGKILL');
  });
});
