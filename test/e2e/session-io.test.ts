import { mkdtempSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, getPod, KUBECONFIG, KUBECTL, PLUGIN, plugin, uniq } from './helpers.js';

// How the session meets its input and its diagnostics: -t without a
// terminal (kubectl's warning, no hang), -v's stream URL (once, short), and a
// crash inside the npm executable (exit 79, one line, the stack only with -v).
const ns = 'demo';
const pod = uniq('sio');
const dir = mkdtempSync(`${tmpdir()}/dd-sio-`);

beforeAll(async () => {
  await createPod({ namespace: ns, name: pod });
  // A running debugger first: input piped into a debugger that is still
  // starting is another defect's (session/open.ts), not this file's.
  const warm = await plugin(['-n', ns, pod, '-q', '--', 'true']);
  expect(warm.code).toBe(0);
});
afterAll(async () => {
  await deletePod(ns, pod);
});

/** Runs with stdin from a file (not a terminal, not a pipe we keep open). */
function runWithFile(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', 'exec "$0" "$@" < "$FILE"', ...args], {
      env: { ...process.env, KUBECONFIG, FILE: file, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('-t with stdin that is not a terminal', () => {
  it("warns with kubectl exec's exact words and runs without a TTY instead of hanging", async () => {
    const input = `${dir}/five-lines`;
    writeFileSync(input, '1\n2\n3\n4\n5\n');
    // -t is part of the reuse key: start its debugger first (see beforeAll).
    const warm = await runWithFile(input, [PLUGIN, '-n', ns, pod, '-t', '-q', '--', 'true']);
    expect(warm.code).toBe(0);
    const t0 = Date.now();
    const ours = await runWithFile(input, [PLUGIN, '-n', ns, pod, '-t', '-q', '--', 'wc', '-l']);
    expect(Date.now() - t0).toBeLessThan(45_000);
    expect(ours.stdout.trim()).toBe('5');
    expect(ours.code).toBe(0);
    // The same through kubectl exec into the debugger the plugin just made.
    const debuggerName = (await getPod(ns, pod)).spec.ephemeralContainers?.[0]?.name as string;
    const theirs = await runWithFile(input, [KUBECTL, '--context', 'admin', 'exec', '-ti', '-n', ns, pod, '-c', debuggerName, '--', 'wc', '-l']);
    expect(theirs.stdout.trim()).toBe('5');
    expect(theirs.stderr).toMatch(/Unable to use a TTY/);
    expect(ours.stderr).toBe(theirs.stderr);
  });
});

describe('-v and the stream URL', () => {
  it('prints the exec URL once per run, with the session script shortened', async () => {
    const r = await plugin(['-n', ns, pod, '--new', '-v', '--', 'true'], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const gets = r.stderr.split('\n').filter((l) => /exec stream: GET /.test(l));
    expect(gets).toHaveLength(1);
    expect(gets[0]).toMatch(/command=\/bin\/sh&command=-c&command=<\d+-byte argument>&command=distroless-debug-session&command=[a-z0-9]{10}&command=true$/);
    expect((gets[0] as string).length).toBeLessThan(400);
  });
});

describe('a crash inside the npm executable', () => {
  const rejection = `${dir}/reject.mjs`;
  const exception = `${dir}/throw.mjs`;
  beforeAll(() => {
    // Loaded before the plugin (NODE_OPTIONS=--import): a failure from a
    // timer while the session runs, as a bug in an event handler would cause.
    writeFileSync(rejection, 'setTimeout(() => Promise.reject(new Error("boom from a promise")), 1500);\n');
    writeFileSync(exception, 'setTimeout(() => { throw new Error("boom from a handler"); }, 1500);\n');
  });

  it.each([
    ['an unhandled rejection', rejection, 'boom from a promise'],
    ['an uncaught exception', exception, 'boom from a handler'],
  ])('%s: exit 79 with one line and no stack', async (_what, file, message) => {
    const r = await plugin(['-n', ns, pod, '-q', '--', 'sleep', '20'], { env: { NODE_OPTIONS: `--import=${file}` } });
    expect(r.code).toBe(79);
    expect(r.stderr).toBe(`error: internal error: ${message}; please report it with the output of -v\n`);
  });

  it('with -v the stack follows the line', async () => {
    const r = await plugin(['-n', ns, pod, '-v', '--', 'sleep', '20'], { env: { NODE_OPTIONS: `--import=${rejection}` } });
    expect(r.code).toBe(79);
    expect(r.stderr).toMatch(/^error: internal error: boom from a promise; please report it with the output of -v\nError: boom from a promise\n\s+at /m);
  });
});
