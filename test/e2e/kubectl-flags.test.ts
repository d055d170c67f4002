import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiServer, createPod, deletePod, escapeRegExp, KUBE_MINOR, KUBECONFIG, KUBECTL, kubectl, plugin, run, STATE, uniq } from './helpers.js';

// kubectl's global flags, side by side with kubectl 1.34: each flag that
// changes the connection gives the same outcome (works / fails) in both,
// and the plugin's failures are its documented codes with one line.
const ns = 'demo';
const pod = uniq('kflags');
const dir = mkdtempSync(`${tmpdir()}/dd-kflags-`);
const PKI = `${STATE}/pki`;
/** The cluster under test's API server (https://127.0.0.1:6443 for the default one). */
const SERVER = apiServer().origin;
const sa = uniq('dd-kflags');
let token = '';

/** No kubeconfig at all: only the flags say where and who. */
const bare = { KUBECONFIG: `${dir}/none`, HOME: `${dir}/home` };

beforeAll(async () => {
  await createPod({ namespace: ns, name: pod });
  await kubectl(['-n', ns, 'create', 'serviceaccount', sa]);
  await kubectl(['-n', ns, 'create', 'rolebinding', sa, '--clusterrole=distroless-debug:debugger', `--serviceaccount=${ns}:${sa}`]);
  token = (await kubectl(['-n', ns, 'create', 'token', sa, '--duration=20m'])).trim();
  // Warm the debugger so that every case below measures the connection, not a start.
  expect((await plugin(['--context', 'admin', '-n', ns, pod, '-q', '--', 'true'])).code).toBe(0);
});
afterAll(async () => {
  await deletePod(ns, pod);
  await kubectl(['-n', ns, 'delete', 'rolebinding', sa, '--ignore-not-found']);
  await kubectl(['-n', ns, 'delete', 'serviceaccount', sa, '--ignore-not-found']);
});

interface Both {
  kubectl: { code: number | null; stderr: string };
  plugin: { code: number | null; stdout: string; stderr: string };
}

/** The same flags for `kubectl get pod` and for a plugin session. */
async function both(flags: string[], env: Record<string, string> = {}): Promise<Both> {
  const k = await run(KUBECTL, [...flags, '-n', ns, 'get', 'pod', pod, '-o', 'name'], { env });
  const p = await plugin([...flags, '-n', ns, pod, '-q', '--', 'cat', 'etc/app-variant'], { env });
  return { kubectl: { code: k.code, stderr: k.stderr }, plugin: p };
}

function worksInBoth(r: Both): void {
  expect(r.kubectl).toEqual({ code: 0, stderr: '' });
  expect(r.plugin).toEqual({ code: 0, stdout: 'nonroot\n', stderr: '' });
}

function failsInBoth(r: Both, code: number, line: RegExp): void {
  expect(r.kubectl.code).toBe(1);
  expect(r.plugin.code).toBe(code);
  expect(r.plugin.stdout).toBe('');
  expect(r.plugin.stderr.trim().split('\n')).toEqual([expect.stringMatching(line)]);
}

describe("kubectl's connection flags, without a kubeconfig", () => {
  it('-s/--server + --token + --certificate-authority', async () => {
    worksInBoth(await both(['--server', SERVER, '--token', token, '--certificate-authority', `${PKI}/ca.crt`], bare));
    worksInBoth(await both([`-s${SERVER}`, `--token=${token}`, `--certificate-authority=${PKI}/ca.crt`], bare));
  });

  it('--client-certificate + --client-key', async () => {
    worksInBoth(await both(['-s', SERVER, '--certificate-authority', `${PKI}/ca.crt`, '--client-certificate', `${PKI}/debugger.crt`, '--client-key', `${PKI}/debugger.key`], bare));
  });

  it('--insecure-skip-tls-verify, and without it no CA is a certificate error in both', async () => {
    worksInBoth(await both(['--server', SERVER, '--token', token, '--insecure-skip-tls-verify'], bare));
    failsInBoth(await both(['--server', SERVER, '--token', token], bare), 65, new RegExp(`^error: the API server's certificate at ${escapeRegExp(SERVER)} is not trusted \\(\\w+\\): .*certificate authority of the --server/--certificate-authority flags`));
  });

  it('--tls-server-name: a name the certificate has works, another fails in both', async () => {
    worksInBoth(await both(['--server', SERVER, '--token', token, '--certificate-authority', `${PKI}/ca.crt`, '--tls-server-name', 'kubernetes'], bare));
    failsInBoth(
      await both(['--server', SERVER, '--token', token, '--certificate-authority', `${PKI}/ca.crt`, '--tls-server-name', 'not-the-api.example'], bare),
      65,
      new RegExp(`^error: the API server's certificate at ${escapeRegExp(SERVER)} is not valid for the name it was reached by \\(ERR_TLS_CERT_ALTNAME_INVALID\\)`),
    );
  });

  it('a wrong --token is refused by the API server in both', async () => {
    failsInBoth(await both(['--server', SERVER, '--token', 'not-a-token', '--certificate-authority', `${PKI}/ca.crt`], bare), 65, /401 Unauthorized/);
  });
});

describe("kubectl's connection flags over a kubeconfig", () => {
  const admin = ['--kubeconfig', KUBECONFIG, '--context', 'admin'];

  it('--server overrides the context (a dead address fails in both)', async () => {
    const r = await both([...admin, '--server', 'https://127.0.0.1:1', '--request-timeout', '5s']);
    failsInBoth(r, 78, /^error: cannot reach the API server at https:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/);
  });

  it("--token replaces the context user's token (a stale one in kubeconfig)", async () => {
    const file = `${dir}/stale-token`;
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'local', cluster: { server: SERVER, 'certificate-authority': `${PKI}/ca.crt` } }],
        users: [{ name: 'stale', user: { token: 'expired-token' } }],
        contexts: [{ name: 'stale', context: { cluster: 'local', user: 'stale' } }],
        'current-context': 'stale',
      }),
    );
    failsInBoth(await both(['--kubeconfig', file]), 65, /401 Unauthorized/);
    worksInBoth(await both(['--kubeconfig', file, '--token', token]));
  });

  it('--username/--password: the cluster has no basic auth; beside the admin certificate both still work', async () => {
    worksInBoth(await both([...admin, '--username', 'someone', '--password', 'secret']));
  });

  it('--username with --token: refused in both (one authentication method only)', async () => {
    failsInBoth(await both([...admin, '--token', token, '--username', 'u', '--password', 'p']), 65, /has both a bearer token and a username\/password/);
  });

  it('--as + --as-uid work in both; --as-uid alone is refused in both', async () => {
    worksInBoth(await both([...admin, '--as', 'dd-flags-user', '--as-group', 'system:masters', '--as-uid', 'uid-7']));
    failsInBoth(await both([...admin, '--as-uid', 'uid-7']), 64, /^error: --as-uid needs a user to impersonate; pass --as USER too$/);
  });

  it('--client-certificate beside embedded certificate data is refused in both', async () => {
    failsInBoth(await both([...admin, '--client-certificate', `${PKI}/debugger.crt`]), 65, /client certificate \(or key\) both as a file and as data/);
  });

  it('--insecure-skip-tls-verify with a kubeconfig that has a CA works in both (the flag replaces it)', async () => {
    worksInBoth(await both([...admin, '--insecure-skip-tls-verify']));
  });
});

describe("kubectl's other global flags", () => {
  it('-v 6 (with a space) is verbosity, not a second target', async () => {
    const r = await plugin(['--context', 'admin', '-n', ns, '-v', '6', pod, '--', 'true']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('[debug]');
    const k = await run(KUBECTL, ['--context', 'admin', '-n', ns, '-v', '6', 'get', 'pod', pod, '-o', 'name']);
    expect(k.code).toBe(0);
  });

  it('-v 0 and -v=0 are kubectl\'s default level: not verbose', async () => {
    for (const v of [['-v', '0'], ['-v=0'], ['--v=0']]) {
      const r = await plugin(['--context', 'admin', '-n', ns, ...v, pod, '--', 'true']);
      expect(r.code, v.join(' ')).toBe(0);
      expect(r.stderr, v.join(' ')).not.toContain('[debug]');
    }
  });

  it('list and stop take the same connection flags as kubectl (no kubeconfig at all)', async () => {
    const flags = ['--server', SERVER, '--token', token, '--certificate-authority', `${PKI}/ca.crt`, '-n', ns];
    const k = await run(KUBECTL, [...flags, 'get', 'pod', pod, '-o', 'name'], { env: bare });
    expect(k.code).toBe(0);
    const l = await plugin(['list', ...flags, pod, '-o', 'json', '-v', '6'], { env: bare });
    expect(l.code, l.stderr).toBe(0);
    expect(JSON.parse(l.stdout).items.length).toBeGreaterThan(0);
    const s = await plugin(['stop', ...flags, pod, '--dry-run', '--disable-compression', '-v'], { env: bare });
    expect(s.code, `${s.stdout}\n${s.stderr}`).toBe(0);
    expect(s.stderr).toContain('--disable-compression is accepted for kubectl compatibility and has no effect');
  });

  it('flags that cannot apply are accepted (kubectl accepts them too) and said once under -v', async () => {
    writeFileSync(`${dir}/kuberc`, 'apiVersion: kubectl.config.k8s.io/v1beta1\nkind: Preference\n');
    const flags = [
      '--cache-dir', `${dir}/cache`, '--disable-compression', '--warnings-as-errors', '--match-server-version',
      '--log-flush-frequency', '5s', '--vmodule', 'x=2', '--profile-output', `${dir}/p.out`, '--kuberc', `${dir}/kuberc`,
    ];
    // --kuberc is kubectl 1.33's (a version cluster's older kubectl refuses it as unknown): side by side only
    // where kubectl has it; the plugin accepts it in any case, as the kubectl it follows does.
    const withKuberc = KUBE_MINOR === undefined || KUBE_MINOR >= 33;
    worksInBoth(await both(['--context', 'admin', ...(withKuberc ? flags : flags.filter((f) => f !== '--kuberc' && f !== `${dir}/kuberc`))]));
    const v = await plugin(['--context', 'admin', ...flags, '-n', ns, pod, '-v', '--', 'true']);
    expect(v.code).toBe(0);
    // --warnings-as-errors has an effect here (test/e2e/warnings.test.ts); this run gets no warnings.
    for (const f of ['cache-dir', 'disable-compression', 'match-server-version', 'log-flush-frequency', 'vmodule', 'profile-output', 'kuberc']) {
      expect(v.stderr.split('\n').filter((l) => l.includes(`--${f} is accepted for kubectl compatibility and has no effect`))).toHaveLength(1);
    }
  });

  it("our --profile keeps its meaning; kubectl's profiling values are explained", async () => {
    const r = await plugin(['--context', 'admin', '-n', ns, pod, '--profile', 'cpu', '--', 'true']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^error: --profile cpu: here --profile picks the debugger's security profile/);
    const help = await plugin(['--help']);
    expect(help.stdout).toContain("Not kubectl's --profile");
  });
});
