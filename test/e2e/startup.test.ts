import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE } from '../../src/plan/default-image.js';
import { KUBECTL, PLUGIN, plugin, REPO, run, uniq } from './helpers.js';

// --version and --help are answered by bin/kubectl-distroless_debug before the
// rest of the plugin is loaded (src/cli/early.ts): same text, codes and
// streams as through main(), and the arguments that ask for more still get it.
const { version } = JSON.parse(readFileSync(`${REPO}/package.json`, 'utf8')) as { version: string };

describe('start-up answers through the real executable', () => {
  it('--version, through kubectl too', async () => {
    expect(await plugin(['--version'])).toEqual({ code: 0, stdout: `kubectl-distroless_debug v${version}\n`, stderr: '' });
    const viaKubectl = await run(KUBECTL, ['distroless-debug', '--version'], { env: { PATH: `${REPO}/bin:${process.env.PATH ?? ''}` } });
    expect(viaKubectl).toEqual({ code: 0, stdout: `kubectl-distroless_debug v${version}\n`, stderr: '' });
  });

  it('--help and -h (exit 0) with the default image; no arguments: one error line and 64 (bad-input-cases.ts)', async () => {
    for (const args of [['--help'], ['-h'], ['-n', 'x', '--help']]) {
      const r = await plugin([...args]);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(r.stdout).toMatch(/^Open a shell inside a distroless container's filesystem/);
      expect(r.stdout).toContain(`default ${DEFAULT_IMAGE}`);
    }
    const none = await plugin([]);
    expect(none).toEqual({ code: 64, stdout: '', stderr: 'error: missing the pod to debug: kubectl distroless-debug POD (or deploy/NAME); see --help\n' });
  });

  it("a subcommand's --help is its own, and --help after -- belongs to the remote command", async () => {
    const list = await plugin(['list', '--help']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^List the debuggers/);

    const pod = uniq('dd-nopod');
    const remote = await plugin([pod, '-n', 'default', '--', '--help']);
    expect(remote.code).toBe(66);
    expect(remote.stdout).toBe('');
    expect(remote.stderr).toContain(pod);
  });

  it('a reader that went away (| head -c 0) is not an error: exit 0, nothing on stderr', async () => {
    for (const arg of ['--help', '--version']) {
      // The reader is gone before the plugin writes: the write fails with EPIPE.
      const r = await run('sh', ['-c', `{ sleep 1; "$0" ${arg}; echo "rc=$?" >&2; } | head -c 0`, PLUGIN]);
      expect({ arg, stderr: r.stderr }).toEqual({ arg, stderr: 'rc=0\n' });
    }
  });
});
