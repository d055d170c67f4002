import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, TimeoutError, UsageError } from '../../../src/errors.js';
import { loadConnection, parseRequestTimeout, redactHeaders, type KubeconfigFlags } from '../../../src/kubeconfig/load.js';
import { TunnelAgent } from '../../../src/kubeconfig/tunnel-agent.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

// Created at load time: the it.each tables below embed paths under it.
const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-test-'));
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string, mode?: number): Promise<string> {
  const file = join(dir, name);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, text);
  if (mode !== undefined) await chmod(file, mode);
  return file;
}

/** A one-cluster, one-user kubeconfig; `user` is YAML indented under `user:`. */
function config(opts: { user: string; cluster?: string; context?: string; current?: string; namespace?: string }): string {
  const context = opts.context ?? 'ctx';
  return `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    ${opts.cluster ?? 'server: https://127.0.0.1:6443/'}
users:
- name: u
  user:
${opts.user}
contexts:
- name: ${context}
  context: {cluster: c, user: u${opts.namespace ? `, namespace: ${opts.namespace}` : ''}}
current-context: ${opts.current ?? context}
`;
}

async function expectError(p: Promise<unknown>, type: typeof ConfigError | typeof UsageError | typeof TimeoutError, message: string): Promise<void> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  expect((err as Error).message).toBe(message);
}

describe('parseRequestTimeout', () => {
  it.each<[string | undefined, number | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['0', undefined],
    ['0s', undefined],
    ['30s', 30_000],
    ['1m', 60_000],
    ['500ms', 500],
    ['10', 10_000],
    ['1m30s', 90_000],
    ['1.5s', 1_500],
    ['2h', 7_200_000],
    ['100us', 1],
    ['-1s', undefined], // kubectl 1.34 takes it and sets no timeout
    ['-0', undefined],
    ['+5s', 5000],
    ['.5s', 500],
  ])('%j => %j', (value, want) => {
    expect(parseRequestTimeout(value)).toBe(want);
  });

  it.each(['abc', '10x', '1.5', 's', '1s2'])('rejects %j', (value) => {
    expect(() => parseRequestTimeout(value)).toThrow(
      new UsageError(`--request-timeout "${value}" is not a duration; use a number with a unit (ns, us, ms, s, m, h) like 30s, 2m or 1h30m, or 0 for no timeout`),
    );
  });
  it('a negative bare number is refused, as kubectl does', () => {
    expect(() => parseRequestTimeout('-1')).toThrow(new UsageError('--request-timeout "-1" is negative; use a positive duration like 30s, or 0 for no timeout'));
  });
  it('a value past the longest Node timer is capped there (kubectl takes any length)', () => {
    expect(parseRequestTimeout('1000h')).toBe(2_147_483_647);
  });
});

describe('redactHeaders', () => {
  it('hides credentials and flattens values', () => {
    expect(
      redactHeaders({
        Authorization: 'Bearer x',
        'Proxy-Authorization': 'Basic y',
        'X-Auth-Token': 'z',
        'Impersonate-Group': ['a', 'b'],
        'Content-Length': 3,
        Accept: 'application/json',
        Skip: undefined,
      }),
    ).toEqual({
      Authorization: '<redacted>',
      'Proxy-Authorization': '<redacted>',
      'X-Auth-Token': '<redacted>',
      'Impersonate-Group': 'a, b',
      'Content-Length': '3',
      Accept: 'application/json',
    });
  });
});

describe('loadConnection: which files', () => {
  it('merges KUBECONFIG files: first name wins, current-context from the first file that sets it', async () => {
    const first = await write(
      'merge/first.yaml',
      `clusters:
- name: c
  cluster: {server: "https://first:6443/", certificate-authority-data: ${b64('CA-FIRST')}}
users:
- name: u
  user: {token: first-token}
contexts:
- name: ctx
  context: {cluster: c, user: u, namespace: first-ns}
`,
    );
    const second = await write(
      'merge/second.yaml',
      `clusters:
- name: c
  cluster: {server: "https://second:6443", certificate-authority-data: ${b64('CA-SECOND')}}
users:
- name: u
  user: {token: second-token}
contexts:
- name: ctx
  context: {cluster: c, user: u, namespace: second-ns}
current-context: ctx
`,
    );
    const third = await write('merge/third.yaml', 'current-context: other\n');
    const env = { HOME: dir, KUBECONFIG: [first, join(dir, 'missing.yaml'), second, third].join(':') };
    const conn = await loadConnection({}, env);
    expect([conn.server, conn.contextName, conn.userName, conn.namespace]).toEqual(['https://first:6443', 'ctx', 'u', 'first-ns']);
    const opts = await conn.requestOptions();
    expect(opts.headers).toEqual({ Authorization: 'Bearer first-token' });
    expect(String(opts.ca)).toBe('CA-FIRST');
  });

  it('--kubeconfig alone ignores KUBECONFIG', async () => {
    const a = await write('only/a.yaml', config({ user: '    token: a', context: 'a' }));
    const b = await write('only/b.yaml', config({ user: '    token: b', context: 'b' }));
    const conn = await loadConnection({ kubeconfig: b }, { HOME: dir, KUBECONFIG: a });
    expect(conn.contextName).toBe('b');
  });

  it('falls back to $HOME/.kube/config', async () => {
    const home = join(dir, 'home');
    await write('home/.kube/config', config({ user: '    token: h', context: 'home-ctx' }));
    const conn = await loadConnection({}, { HOME: home, KUBECONFIG: '' });
    expect(conn.contextName).toBe('home-ctx');
  });

  it('applies flags: context, namespace, request timeout', async () => {
    const file = await write('flags.yaml', config({ user: '    token: t', namespace: 'ns' }));
    const flags: KubeconfigFlags = { kubeconfig: file, context: 'ctx', namespace: 'other', requestTimeout: '1m' };
    const conn = await loadConnection(flags, { HOME: dir });
    expect([conn.namespace, conn.requestTimeoutMs]).toEqual(['other', 60_000]);
  });

  it.each<[string, () => Promise<{ flags: KubeconfigFlags; env: NodeJS.ProcessEnv }>, string]>([
    [
      'unreadable --kubeconfig',
      async () => ({ flags: { kubeconfig: join(dir, 'nope.yaml') }, env: {} }),
      `cannot read kubeconfig ${join(dir, 'nope.yaml')} given by --kubeconfig (file not found); check the path`,
    ],
    [
      'no KUBECONFIG file exists',
      async () => ({ flags: {}, env: { KUBECONFIG: `${join(dir, 'x')}:${join(dir, 'y')}` } }),
      `no kubeconfig found: none of the KUBECONFIG files exist (${join(dir, 'x')}, ${join(dir, 'y')}); set KUBECONFIG or pass --kubeconfig`,
    ],
    [
      'no ~/.kube/config',
      async () => ({ flags: {}, env: { HOME: join(dir, 'empty-home') } }),
      `no kubeconfig found: ${join(dir, 'empty-home', '.kube', 'config')} does not exist; set KUBECONFIG or pass --kubeconfig`,
    ],
    [
      'unparsable YAML',
      async () => ({ flags: { kubeconfig: await write('bad.yaml', 'clusters: [\n') }, env: {} }),
      `cannot parse kubeconfig ${join(dir, 'bad.yaml')}: unexpected end of the stream within a flow collection (2:1); fix the YAML`,
    ],
    [
      'cluster without server',
      async () => ({ flags: { kubeconfig: await write('noserver.yaml', config({ user: '    token: t', cluster: 'insecure-skip-tls-verify: true' })) }, env: {} }),
      'cluster "c" has no server in kubeconfig; add one or pick another context with --context',
    ],
    [
      'unknown --context',
      async () => ({ flags: { kubeconfig: await write('ctx.yaml', config({ user: '    token: t' })), context: 'nope' }, env: {} }),
      'context "nope" not found in kubeconfig; available: ctx',
    ],
  ])('ConfigError: %s', async (_name, setup, message) => {
    const { flags, env } = await setup();
    await expectError(loadConnection(flags, env), ConfigError, message);
  });
});

describe('loadConnection: requestOptions', () => {
  it('returns ca/cert/key from *-data fields and shares one keep-alive agent', async () => {
    const file = await write(
      'data.yaml',
      config({
        user: `    client-certificate-data: ${b64('CERT')}\n    client-key-data: ${b64('KEY')}`,
        cluster: `{server: "https://127.0.0.1:6443", certificate-authority-data: ${b64('CA')}, tls-server-name: kubernetes}`,
      }),
    );
    const conn = await loadConnection({ kubeconfig: file }, {});
    const a = await conn.requestOptions();
    const b = await conn.requestOptions();
    expect([String(a.ca), String(a.cert), String(a.key), a.servername]).toEqual(['CA', 'CERT', 'KEY', 'kubernetes']);
    expect(a.headers).toEqual({});
    expect(a).not.toBe(b);
    expect(a.headers).not.toBe(b.headers);
    expect(a.agent).toBeInstanceOf(https.Agent);
    expect(a.agent).toBe(b.agent);
    const agentOpts = (a.agent as https.Agent & { options: https.AgentOptions }).options;
    expect([agentOpts.keepAlive, String(agentOpts.ca), String(agentOpts.cert), String(agentOpts.key), agentOpts.servername]).toEqual([
      true,
      'CA',
      'CERT',
      'KEY',
      'kubernetes',
    ]);
  });

  it('resolves relative certificate paths against the kubeconfig file', async () => {
    await write('rel/pki/ca.crt', 'CA-FILE');
    await write('rel/pki/client.crt', 'CERT-FILE');
    await write('rel/pki/client.key', 'KEY-FILE');
    const file = await write(
      'rel/kubeconfig',
      config({
        user: '    client-certificate: pki/client.crt\n    client-key: pki/client.key',
        cluster: '{server: "https://h", certificate-authority: pki/ca.crt}',
      }),
    );
    const opts = await (await loadConnection({}, { KUBECONFIG: file })).requestOptions();
    expect([String(opts.ca), String(opts.cert), String(opts.key)]).toEqual(['CA-FILE', 'CERT-FILE', 'KEY-FILE']);
  });

  it.each<[string, string, KubeconfigFlags, Record<string, string | string[]>]>([
    ['--as', '    token: t', { as: 'jane' }, { Authorization: 'Bearer t', 'Impersonate-User': 'jane' }],
    ['--as with one --as-group', '    token: t', { as: 'jane', asGroups: ['dev'] }, { Authorization: 'Bearer t', 'Impersonate-User': 'jane', 'Impersonate-Group': ['dev'] }],
    ['--as-uid', '    token: t', { as: 'jane', asUid: '42' }, { Authorization: 'Bearer t', 'Impersonate-User': 'jane', 'Impersonate-Uid': '42' }],
    [
      'kubeconfig as-uid and as-user-extra: one line per value, keys escaped as client-go does',
      '    token: t\n    as: sam\n    as-uid: u-1\n    as-user-extra: {scopes: [a, b], "example.org/Team X%": [c]}',
      {},
      { Authorization: 'Bearer t', 'Impersonate-User': 'sam', 'Impersonate-Uid': 'u-1', 'Impersonate-Extra-scopes': ['a', 'b'], 'Impersonate-Extra-example.org%2FTeam%20X%25': ['c'] },
    ],
    ['several groups are several header lines', '    token: t', { as: 'jane', asGroups: ['a', 'b'] }, { Authorization: 'Bearer t', 'Impersonate-User': 'jane', 'Impersonate-Group': ['a', 'b'] }],
    ['kubeconfig as/as-groups', '    token: t\n    as: sam\n    as-groups: [g]', {}, { Authorization: 'Bearer t', 'Impersonate-User': 'sam', 'Impersonate-Group': ['g'] }],
    ['--as beats kubeconfig as', '    token: t\n    as: sam', { as: 'jane' }, { Authorization: 'Bearer t', 'Impersonate-User': 'jane' }],
    ['basic auth becomes a header', '    username: admin\n    password: secret', {}, { Authorization: `Basic ${b64('admin:secret')}` }],
  ])('headers: %s', async (_name, user, flags, headers) => {
    const file = await write(`imp-${_name.replace(/\W+/g, '-')}.yaml`, config({ user }));
    const opts = await (await loadConnection({ ...flags, kubeconfig: file }, {})).requestOptions();
    expect(opts.headers).toEqual(headers);
    expect(opts.auth).toBeUndefined();
  });

  it('--as-group without --as is a usage error', async () => {
    const file = await write('asgroup.yaml', config({ user: '    token: t' }));
    await expectError(loadConnection({ kubeconfig: file, asGroups: ['g'] }, {}), UsageError, '--as-group needs a user to impersonate; pass --as USER too');
  });

  it('reads tokenFile relative to the kubeconfig, on every call', async () => {
    const file = await write('tf/kubeconfig', config({ user: '    token: stale\n    tokenFile: token' }));
    await write('tf/token', 'one\n');
    const conn = await loadConnection({ kubeconfig: file }, {});
    expect((await conn.requestOptions()).headers).toEqual({ Authorization: 'Bearer one' });
    await write('tf/token', 'two\n');
    expect((await conn.requestOptions()).headers).toEqual({ Authorization: 'Bearer two' });
  });

  it('proxy-url http: our keep-alive tunnel agent (one CONNECT per connection), and it beats HTTPS_PROXY', async () => {
    const file = await write('proxy.yaml', config({ user: '    token: t', cluster: '{server: "https://h", proxy-url: "http://proxy:3128"}' }));
    const conn = await loadConnection({ kubeconfig: file }, { HTTPS_PROXY: 'http://other:1' });
    const opts = await conn.requestOptions();
    expect(opts.agent).toBeInstanceOf(TunnelAgent);
    expect((opts.agent as TunnelAgent).proxy.host).toBe('proxy:3128');
    expect(conn.proxy).toBe('http://proxy:3128');
    // The same agent for every call: its pooled tunnels are reused.
    expect((await conn.requestOptions()).agent).toBe(opts.agent);
  });

  it('proxy-url socks5 stays with client-node', async () => {
    const file = await write('socks.yaml', config({ user: '    token: t', cluster: '{server: "https://h", proxy-url: "socks5://proxy:1080"}' }));
    const opts = await (await loadConnection({ kubeconfig: file }, {})).requestOptions();
    expect(opts.agent?.constructor.name).toBe('SocksProxyAgent');
  });

  it('HTTPS_PROXY applies, NO_PROXY and loopback bypass it', async () => {
    const file = await write('envproxy.yaml', config({ user: '    token: t', cluster: '{server: "https://kube.example:6443"}' }));
    const viaEnv = await (await loadConnection({ kubeconfig: file }, { https_proxy: 'proxy.corp:3128' })).requestOptions();
    expect((viaEnv.agent as TunnelAgent).proxy.href).toBe('http://proxy.corp:3128/');
    const bypass = await (await loadConnection({ kubeconfig: file }, { HTTPS_PROXY: 'proxy.corp:3128', NO_PROXY: '.example' })).requestOptions();
    expect(bypass.agent).not.toBeInstanceOf(TunnelAgent);
    const local = await write('localproxy.yaml', config({ user: '    token: t', cluster: '{server: "https://127.0.0.1:6443"}' }));
    expect((await (await loadConnection({ kubeconfig: local }, { HTTPS_PROXY: 'proxy.corp:3128' })).requestOptions()).agent).not.toBeInstanceOf(TunnelAgent);
  });
});

describe('loadConnection: exec credential plugins', () => {
  const credential = JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { token: 'exec-token', expirationTimestamp: '2999-01-01T00:00:00Z' },
  });

  it('runs the plugin once (relative command resolved against the kubeconfig) and passes KUBERNETES_EXEC_INFO', async () => {
    await write(
      'exec/bin/plugin.sh',
      `#!/bin/sh\necho run >> "$(dirname "$0")/calls"\nprintf '%s' "$KUBERNETES_EXEC_INFO" > "$(dirname "$0")/info"\nprintf '%s' '${credential}'\n`,
      0o755,
    );
    const file = await write(
      'exec/kubeconfig',
      config({ user: '    exec: {apiVersion: client.authentication.k8s.io/v1, command: ./bin/plugin.sh, args: null}' }),
    );
    const conn = await loadConnection({ kubeconfig: file }, {});
    const all = await Promise.all([conn.requestOptions(), conn.requestOptions(), conn.requestOptions()]);
    await conn.requestOptions();
    expect(all.map((o) => o.headers)).toEqual(Array(3).fill({ Authorization: 'Bearer exec-token' }));
    expect((await readFile(join(dir, 'exec/bin/calls'), 'utf8')).trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(await readFile(join(dir, 'exec/bin/info'), 'utf8'))).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: { interactive: false },
    });
  });

  it('reports a failing plugin as a one-line ConfigError with the cause', async () => {
    const plugin = await write('exec/fail.sh', '#!/bin/sh\necho "token expired, log in again" >&2\necho "second line" >&2\nexit 1\n', 0o755);
    const file = await write('exec/fail.yaml', config({ user: `    exec: {command: ${plugin}, installHint: "brew install it"}` }));
    const conn = await loadConnection({ kubeconfig: file }, {});
    const err = await conn.requestOptions().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      `exec credential plugin "${plugin}" for user "u" (context "ctx") failed: token expired, log in again; run it by hand to see why`,
    );
    expect((err as ConfigError).details).toEqual(['token expired, log in again', 'second line', 'brew install it']);
    expect((err as ConfigError).cause).toBeInstanceOf(Error);
  });

  it('reports a missing plugin', async () => {
    const file = await write('exec/missing.yaml', config({ user: '    exec: {command: no-such-plugin-xyz}' }));
    const conn = await loadConnection({ kubeconfig: file }, {});
    await expectError(
      conn.requestOptions(),
      ConfigError,
      'exec credential plugin "no-such-plugin-xyz" for user "u" (context "ctx") was not found; install it or fix PATH',
    );
  });
});

describe('loadConnection: a hanging exec credential plugin (defect 15)', () => {
  it('is killed with everything it started when --request-timeout passes: a TimeoutError, no orphan', async () => {
    const pidFile = join(dir, 'exec/hang.pids');
    // The script starts a child (sleep) and waits for it, as real plugins wrapping other tools do.
    const plugin = await write('exec/hang.sh', `#!/bin/sh\nsleep 300 &\necho "$$ $!" > ${pidFile}\nwait\n`, 0o755);
    const file = await write('exec/hang.yaml', config({ user: `    exec: {command: ${plugin}}` }));
    const conn = await loadConnection({ kubeconfig: file, requestTimeout: '700ms' }, {});
    const t0 = Date.now();
    await expectError(
      conn.requestOptions(),
      TimeoutError,
      `exec credential plugin "${plugin}" for user "u" (context "ctx") did not finish within 700ms (--request-timeout); run it by hand to see why, or raise --request-timeout`,
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    const pids = (await readFile(pidFile, 'utf8')).trim().split(' ').map(Number);
    await new Promise((r) => setTimeout(r, 200));
    // Gone, or a zombie waiting for its reaper (a container's PID 1 may never reap): not running either way.
    const state = async (pid: number) => readFile(`/proc/${pid}/stat`, 'utf8').then((t) => t.slice(t.lastIndexOf(')') + 2, t.lastIndexOf(')') + 3), () => 'gone');
    for (const pid of pids) expect(['gone', 'Z']).toContain(await state(pid));
  });
});

describe('loadConnection: in-cluster and kubectl connection flags', () => {
  async function saDir(name: string, files: Record<string, string>): Promise<string> {
    for (const [f, text] of Object.entries(files)) await write(`${name}/${f}`, text);
    return join(dir, name);
  }
  const noKubeconfig = () => ({ KUBECONFIG: join(dir, 'none.yaml'), HOME: join(dir, 'nohome') });

  it('no kubeconfig + KUBERNETES_SERVICE_HOST/PORT + a token: the ServiceAccount, token re-read as it rotates', async () => {
    const sa = await saDir('sa1', { token: 'tok-1\n', 'ca.crt': 'CA', namespace: 'team-a\n' });
    const env = { ...noKubeconfig(), KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', DISTROLESS_DEBUG_TEST_SA_DIR: sa };
    const conn = await loadConnection({}, env);
    expect({ server: conn.server, namespace: conn.namespace, context: conn.contextName }).toEqual({ server: 'https://10.96.0.1:443', namespace: 'team-a', context: 'in-cluster' });
    const opts = await conn.requestOptions();
    expect([opts.headers, String(opts.ca)]).toEqual([{ Authorization: 'Bearer tok-1' }, 'CA']);
    await write('sa1/token', 'tok-2\n');
    expect((await conn.requestOptions()).headers).toEqual({ Authorization: 'Bearer tok-2' });
  });

  it('in-cluster: POD_NAMESPACE beats the file, -n beats both, --server/--token override, IPv6 hosts are bracketed', async () => {
    const sa = await saDir('sa2', { token: 't', namespace: 'file-ns' });
    const env = { ...noKubeconfig(), KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443', DISTROLESS_DEBUG_TEST_SA_DIR: sa };
    expect((await loadConnection({}, { ...env, POD_NAMESPACE: 'env-ns' })).namespace).toBe('env-ns');
    expect((await loadConnection({ namespace: 'flag-ns' }, { ...env, POD_NAMESPACE: 'env-ns' })).namespace).toBe('flag-ns');
    const c = await loadConnection({ token: 'flag-token' }, env);
    expect(c.server).toBe('https://[fd00::1]:6443');
    expect((await c.requestOptions()).headers).toEqual({ Authorization: 'Bearer flag-token' });
  });

  it('a kubeconfig wins over in-cluster; no token file means no in-cluster', async () => {
    const file = await write('ic-kubeconfig.yaml', config({ user: '    token: k' }));
    const sa = await saDir('sa3', { token: 't' });
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', DISTROLESS_DEBUG_TEST_SA_DIR: sa };
    expect((await loadConnection({}, { ...env, KUBECONFIG: file })).server).toBe('https://127.0.0.1:6443');
    await expect(loadConnection({}, { ...noKubeconfig(), ...env, DISTROLESS_DEBUG_TEST_SA_DIR: join(dir, 'no-sa') })).rejects.toThrow(/^no kubeconfig found/);
  });

  it('--server, --token and --certificate-authority without any kubeconfig', async () => {
    const ca = await write('flags-ca.crt', 'FLAG-CA');
    const conn = await loadConnection({ server: 'https://h:6443', token: 'tt', certificateAuthority: ca, namespace: 'x' }, noKubeconfig());
    const opts = await conn.requestOptions();
    expect({ server: conn.server, ns: conn.namespace, auth: opts.headers, ca: String(opts.ca) }).toEqual({ server: 'https://h:6443', ns: 'x', auth: { Authorization: 'Bearer tt' }, ca: 'FLAG-CA' });
  });

  it('--insecure-skip-tls-verify drops the kubeconfig CA; --server clears kubeconfig tls-server-name unless --tls-server-name', async () => {
    const file = await write('ovr.yaml', config({ user: '    token: k', cluster: '{server: "https://h", certificate-authority-data: Q0E=, tls-server-name: old}' }));
    const a = await (await loadConnection({ kubeconfig: file, insecureSkipTlsVerify: true }, {})).requestOptions();
    expect([a.ca, a.rejectUnauthorized, a.servername]).toEqual([undefined, false, 'old']);
    const b = await (await loadConnection({ kubeconfig: file, server: 'https://other' }, {})).requestOptions();
    expect([String(b.ca), b.servername]).toEqual(['CA', undefined]);
    const c = await (await loadConnection({ kubeconfig: file, server: 'https://other', tlsServerName: 'new' }, {})).requestOptions();
    expect(c.servername).toBe('new');
  });

  it('kubeconfig as-groups without as is refused, as kubectl does', async () => {
    const file = await write('asgroups-only.yaml', config({ user: '    token: t\n    as-groups: [g]' }));
    await expectError(loadConnection({ kubeconfig: file }, {}), ConfigError, 'user "u" (context "ctx") sets as-groups, as-uid or as-user-extra without as: nobody to impersonate; add as: USER to that entry or pass --as');
  });

  it('a token and a username/password at once is refused, as client-go does', async () => {
    const file = await write('mix.yaml', config({ user: '    token: k' }));
    await expectError(loadConnection({ kubeconfig: file, username: 'u', password: 'p' }, {}), ConfigError, 'user "u" (context "ctx") has both a bearer token and a username/password; use one of them');
  });

  it('a missing certificate-authority file names the cluster entry', async () => {
    const file = await write('noca.yaml', config({ user: '    token: k', cluster: '{server: "https://h", certificate-authority: missing-ca.crt}' }));
    await expectError((await loadConnection({ kubeconfig: file }, {})).requestOptions(), ConfigError, `cannot read the certificate-authority file ${join(dir, 'missing-ca.crt')} of cluster "c" (context "ctx") (file not found); fix the path in that entry`);
  });
});
