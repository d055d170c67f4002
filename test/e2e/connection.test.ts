import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiServer, createPod, deletePod, KUBECONFIG, PLUGIN, plugin, uniq } from './helpers.js';

// A connection that drops mid-session: a local TCP relay in front of the API
// server is cut while a command runs. The plugin must say so in one line, exit
// 75, and leave the terminal as it found it.
const ns = 'demo';
const pod = uniq('conn');
let relay: Server;
const sockets = new Set<Socket>();
let kubeconfig = '';

beforeAll(async () => {
  await createPod({ namespace: ns, name: pod });
  relay = createServer((client) => {
    const upstream = connect(Number(apiServer().port), apiServer().hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const port = (relay.address() as { port: number }).port;
  const dir = mkdtempSync(`${tmpdir()}/dd-conn-`);
  kubeconfig = `${dir}/kubeconfig`;
  writeFileSync(kubeconfig, readFileSync(KUBECONFIG, 'utf8').replace(apiServer().origin, `https://127.0.0.1:${port}`));
  // Start the debugger first, so the cut hits the session itself.
  const warm = await plugin(['--kubeconfig', kubeconfig, '-n', ns, pod, '--', 'true']);
  expect(warm.code).toBe(0);
});
afterAll(async () => {
  relay.close();
  await deletePod(ns, pod);
});

const cutAll = () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
};

describe('connection lost mid-session', () => {
  it('a command: one clear line and exit 75', async () => {
    const running = plugin(['--kubeconfig', kubeconfig, '-n', ns, pod, '-q', '--', 'sh', '-c', 'echo started; sleep 60']);
    await new Promise((r) => setTimeout(r, 2500));
    cutAll();
    const r = await running;
    expect(r.stdout).toBe('started\n');
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: .*connection .*lost.*$/i)]);
    expect(r.code).toBe(75);
  });

  it('an interactive shell: the local terminal is restored', async () => {
    const session = uniq('dd-conn');
    const tmux = (...a: string[]) => execFileSync('tmux', a, { encoding: 'utf8' });
    tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', `${PLUGIN} --kubeconfig ${kubeconfig} -n ${ns} ${pod}; echo "EXITED rc=$?"; stty -a; sleep 600`);
    try {
      const screen = () => tmux('capture-pane', '-p', '-J', '-t', session);
      const until = async (re: RegExp) => {
        for (let i = 0; i < 200 && !re.test(screen()); i++) await new Promise((r) => setTimeout(r, 150));
        return screen();
      };
      expect(await until(/\] \/ \$ $/m)).toMatch(/\] \/ \$ $/m);
      cutAll();
      const s = await until(/EXITED rc=\d+[\s\S]*speed/);
      expect(s).toMatch(/error: .*lost/i);
      expect(s).toContain('EXITED rc=75');
      const modes = s.slice(s.indexOf('EXITED'));
      expect(modes).toMatch(/(^|\s)icanon(\s|$)/m);
      expect(modes).toMatch(/(^|\s)echo(\s|$)/m);
    } finally {
      tmux('kill-session', '-t', session);
    }
  });
});
