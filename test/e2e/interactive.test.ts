import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, KUBECONFIG, PLUGIN, uniq } from './helpers.js';

// A person at a real terminal: tmux runs the plugin, we type, resize, press
// Ctrl-C, exit, and read the screen.
const ns = 'demo';
const pod = uniq('tty');
const session = uniq('dd-e2e');

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', session);
const type = (text: string) => tmux('send-keys', '-t', session, text, 'Enter');

async function waitFor(pattern: RegExp, ms = 30_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (pattern.test(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

beforeAll(async () => {
  await createPod({ namespace: ns, name: pod });
  // The shell after the plugin prints the local terminal's mode on exit.
  const cmd = `env KUBECONFIG=${KUBECONFIG} ${PLUGIN} -n ${ns} ${pod}; echo "EXITED rc=$?"; stty -a; sleep 600`;
  tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', cmd);
});
afterAll(async () => {
  try {
    tmux('kill-session', '-t', session);
  } catch {
    // already gone
  }
  await deletePod(ns, pod);
});

describe('interactive shell in tmux', () => {
  it('prompts inside the app root, follows resizes, survives Ctrl-C, and restores the terminal on exit', async () => {
    await waitFor(/\[debug pod\/\S+ app\] \/ \$ $/m);
    type('cat etc/app-variant; stty size');
    await waitFor(/nonroot\n30 100\n/);

    tmux('resize-window', '-t', session, '-x', '120', '-y', '40');
    await new Promise((r) => setTimeout(r, 300));
    type('stty size');
    await waitFor(/\n40 120\n/);

    type('sleep 300');
    await waitFor(/\$ sleep 300\n$/m);
    tmux('send-keys', '-t', session, 'C-c');
    type('echo "still $((40 + 2))"');
    await waitFor(/still 42\n/);

    type('cd etc && pwd');
    await waitFor(/\/proc\/1\/root\/etc\n\[debug pod\/\S+ app\] \/etc \$ $/m);

    type('exit');
    const s = await waitFor(/EXITED rc=0[\s\S]*speed/);
    const modes = s.slice(s.indexOf('EXITED'));
    // Cooked mode is back: line editing and echo on, not raw.
    expect(modes).toMatch(/(^|\s)icanon(\s|$)/m);
    expect(modes).toMatch(/(^|\s)echo(\s|$)/m);
    expect(modes).toMatch(/(^|\s)isig(\s|$)/m);
  });
});
