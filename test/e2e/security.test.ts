import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appImage, createPod, deletePod, getPod, kubectl, KUBECONFIG, plugin, uniq, type Result } from './helpers.js';

// The security suite (docs/security.md says the same in prose):
// 1. every debugger the plugin creates carries the least-privileged
//    securityContext for its target kind and profile, read back from the pod
//    as the API server stored it, and never lets session output into the pod
//    status (terminationMessagePolicy File);
// 2. no output of the plugin, -v and every error path included, carries a
//    token, client key or password of the user running it.

type Kind = 'nonroot' | 'uid1001' | 'root' | 'setuid';
type Profile = 'auto' | 'restricted' | 'baseline' | 'general';
type SC = Record<string, unknown>;

const RUNTIME_DEFAULT = { type: 'RuntimeDefault' };
/** Same uid/gid as a non-root target: opens /proc/PID/root with no capability at all; passes PSA restricted. */
const asTarget = (uid: number, gid: number): SC => ({
  runAsUser: uid,
  runAsGroup: gid,
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: RUNTIME_DEFAULT,
});
/** A root target's permitted set must be a subset of the debugger's: root with the runtime's default capabilities; passes PSA baseline. */
const rootDefaultCaps: SC = { runAsUser: 0, runAsGroup: 0, allowPrivilegeEscalation: false, seccompProfile: RUNTIME_DEFAULT };
/** The escape hatch: root, default capabilities plus SYS_PTRACE (opens any target, dumpable or not); never privileged. */
const general: SC = { runAsUser: 0, runAsGroup: 0, allowPrivilegeEscalation: false, capabilities: { add: ['SYS_PTRACE'] }, seccompProfile: RUNTIME_DEFAULT };

const NONROOT = asTarget(65532, 65532);
const UID1001 = asTarget(1001, 1001);

/** An expected debugger (its securityContext), or the refusal with its exit code and no change to the pod. */
type Expect = { sc: SC } | { refused: 64 | 71 };

interface Case {
  ns: 'demo' | 'psa-baseline' | 'psa-restricted';
  kind: Kind;
  profile: Profile;
  expect: Expect;
  /** The kubeconfig context: debugger (exec) or attacher (no pods/exec: the session is the debugger's main process). */
  context?: 'debugger' | 'attacher';
}

// demo: no Pod Security; psa-baseline: enforce baseline; psa-restricted:
// enforce restricted (a root pod cannot run there at all, so no root rows).
const CASES: Case[] = [
  { ns: 'demo', kind: 'nonroot', profile: 'auto', expect: { sc: NONROOT } },
  { ns: 'demo', kind: 'nonroot', profile: 'restricted', expect: { sc: NONROOT } },
  { ns: 'demo', kind: 'nonroot', profile: 'baseline', expect: { sc: NONROOT } },
  { ns: 'demo', kind: 'nonroot', profile: 'general', expect: { sc: general } },
  { ns: 'demo', kind: 'uid1001', profile: 'auto', expect: { sc: UID1001 } },
  { ns: 'demo', kind: 'uid1001', profile: 'restricted', expect: { sc: UID1001 } },
  { ns: 'demo', kind: 'uid1001', profile: 'baseline', expect: { sc: UID1001 } },
  { ns: 'demo', kind: 'uid1001', profile: 'general', expect: { sc: general } },
  { ns: 'demo', kind: 'root', profile: 'auto', expect: { sc: rootDefaultCaps } },
  { ns: 'demo', kind: 'root', profile: 'restricted', expect: { refused: 64 } },
  { ns: 'demo', kind: 'root', profile: 'baseline', expect: { sc: rootDefaultCaps } },
  { ns: 'demo', kind: 'root', profile: 'general', expect: { sc: general } },
  { ns: 'demo', kind: 'setuid', profile: 'general', expect: { sc: general } },

  { ns: 'psa-baseline', kind: 'nonroot', profile: 'auto', expect: { sc: NONROOT } },
  { ns: 'psa-baseline', kind: 'nonroot', profile: 'restricted', expect: { sc: NONROOT } },
  { ns: 'psa-baseline', kind: 'nonroot', profile: 'baseline', expect: { sc: NONROOT } },
  { ns: 'psa-baseline', kind: 'nonroot', profile: 'general', expect: { refused: 71 } },
  { ns: 'psa-baseline', kind: 'uid1001', profile: 'auto', expect: { sc: UID1001 } },
  { ns: 'psa-baseline', kind: 'uid1001', profile: 'restricted', expect: { sc: UID1001 } },
  { ns: 'psa-baseline', kind: 'uid1001', profile: 'baseline', expect: { sc: UID1001 } },
  { ns: 'psa-baseline', kind: 'uid1001', profile: 'general', expect: { refused: 71 } },
  { ns: 'psa-baseline', kind: 'root', profile: 'auto', expect: { sc: rootDefaultCaps } },
  { ns: 'psa-baseline', kind: 'root', profile: 'restricted', expect: { refused: 64 } },
  { ns: 'psa-baseline', kind: 'root', profile: 'baseline', expect: { sc: rootDefaultCaps } },
  { ns: 'psa-baseline', kind: 'root', profile: 'general', expect: { refused: 71 } },

  { ns: 'psa-restricted', kind: 'nonroot', profile: 'auto', expect: { sc: NONROOT } },
  { ns: 'psa-restricted', kind: 'nonroot', profile: 'restricted', expect: { sc: NONROOT } },
  { ns: 'psa-restricted', kind: 'nonroot', profile: 'baseline', expect: { sc: NONROOT } },
  { ns: 'psa-restricted', kind: 'nonroot', profile: 'general', expect: { refused: 71 } },
  { ns: 'psa-restricted', kind: 'uid1001', profile: 'auto', expect: { sc: UID1001 } },
  { ns: 'psa-restricted', kind: 'uid1001', profile: 'restricted', expect: { sc: UID1001 } },
  { ns: 'psa-restricted', kind: 'uid1001', profile: 'baseline', expect: { sc: UID1001 } },
  { ns: 'psa-restricted', kind: 'uid1001', profile: 'general', expect: { refused: 71 } },

  // Attach mode: the session is the debugger's main process; same context.
  { ns: 'demo', kind: 'nonroot', profile: 'auto', expect: { sc: NONROOT }, context: 'attacher' },
  { ns: 'psa-baseline', kind: 'root', profile: 'auto', expect: { sc: rootDefaultCaps }, context: 'attacher' },
];

const caseName = (c: Case) =>
  `${c.ns} ${c.kind} --profile ${c.profile}${c.context === 'attacher' ? ' (attach)' : ''}: ${'sc' in c.expect ? 'least-privileged debugger' : `refused with ${c.expect.refused}, pod unchanged`}`;
const podOf = new Map<Case, string>();
CASES.forEach((c, i) => podOf.set(c, uniq(`sec${i}-${c.kind}`)));
/** Every debugger this file created: pod, namespace, container name. */
const created: Array<{ ns: string; pod: string; name: string; attach: boolean }> = [];

/** Runs at most `n` at a time: the node has two cores and others test too. */
async function limited<T>(items: T[], n: number, f: (x: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: n }, async () => {
    for (let x = queue.shift(); x !== undefined; x = queue.shift()) await f(x);
  }));
}

interface Ephemeral {
  name: string;
  securityContext?: SC;
  terminationMessagePolicy?: string;
  stdin?: boolean;
  volumeMounts?: unknown[];
}

beforeAll(async () => {
  await limited(CASES, 6, (c) => createPod({ namespace: c.ns, name: podOf.get(c)!, image: appImage(c.kind) }));
}, 600_000);
afterAll(async () => {
  await Promise.all(CASES.map((c) => deletePod(c.ns, podOf.get(c)!)));
});

describe('securityContext: least privilege for each target kind and profile, read back from the pod', () => {
  it.each(CASES.map((c) => [caseName(c), c] as const))('%s', async (_name, c) => {
    const pod = podOf.get(c)!;
    const before = await getPod(c.ns, pod);
    const r = await plugin(['--context', c.context ?? 'debugger', '-n', c.ns, pod, '--profile', c.profile, '-q', '--', 'cat', 'etc/app-variant']);
    const after = await getPod(c.ns, pod);
    const eph = (after.spec.ephemeralContainers ?? []) as Ephemeral[];
    if ('refused' in c.expect) {
      expect({ code: r.code, first: r.stderr.split('\n')[0] }).toMatchObject({ code: c.expect.refused, first: expect.stringMatching(/^error: /) });
      expect(eph).toEqual([]);
      expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      return;
    }
    for (const e of eph) created.push({ ns: c.ns, pod, name: e.name, attach: c.context === 'attacher' });
    // It worked with no more than this: the app's files opened.
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: `${c.kind}\n`, stderr: '' });
    expect(eph).toHaveLength(1);
    expect(eph[0]!.securityContext).toEqual(c.expect.sc);
    // Nothing mounted: not even a service account token of its own.
    expect(eph[0]!.volumeMounts).toBeUndefined();
  });

  it('no debugger lets its output into the pod status: terminationMessagePolicy File on every one created above', async () => {
    expect(created.length).toBeGreaterThan(0);
    const policies: string[] = [];
    for (const d of created) {
      const e = ((await getPod(d.ns, d.pod)).spec.ephemeralContainers as Ephemeral[]).find((x) => x.name === d.name)!;
      policies.push(`${d.ns}/${d.pod}/${d.name}${d.attach ? ' (attach)' : ''}: ${e.terminationMessagePolicy}`);
    }
    expect(policies.filter((p) => !p.endsWith(': File'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// Secrets: tokens, client keys and passwords never reach any output.

interface KubeconfigFile {
  clusters: Array<{ name: string; cluster: Record<string, string> }>;
  users: Array<{ name: string; user: Record<string, string> }>;
}
const base = load(readFileSync(KUBECONFIG, 'utf8')) as KubeconfigFile;
const cluster = base.clusters[0]!.cluster;
const dir = mkdtempSync(`${tmpdir()}/dd-security-`);
const ns = 'demo';
const secPod = uniq('sec-secrets');
const sa = uniq('dd-sec-sa');

/** Named secrets and every form they could leak in. */
const secrets = new Map<string, string[]>();
function addSecret(name: string, value: string): void {
  const forms = [value, Buffer.from(value).toString('base64')];
  // A PEM key: each line of its body (a line is 64 characters of key material).
  if (value.includes('-----BEGIN')) forms.push(...value.split('\n').filter((l) => l.length >= 32 && !l.startsWith('-----')));
  // A JWT: the signature alone is the secret part.
  const parts = value.split('.');
  if (parts.length === 3 && parts[2]!.length >= 16) forms.push(parts[2]!);
  secrets.set(name, [...(secrets.get(name) ?? []), ...forms]);
}
for (const u of base.users) {
  const keyData = u.user['client-key-data'];
  if (keyData) {
    secrets.set(`client-key-data of ${u.name}`, [keyData]);
    addSecret(`client key of ${u.name}`, Buffer.from(keyData, 'base64').toString());
  }
}
const badToken = `dd-sec-bad-token-${randomBytes(16).toString('hex')}`;
const basicUser = 'dd-sec-basic-user';
const password = `dd-sec-pa55-${randomBytes(12).toString('hex')}`;
addSecret('the invalid bearer token', badToken);
addSecret('the basic-auth password', password);
const pluginToken = `dd-sec-plugin-token-${randomBytes(16).toString('hex')}`;
addSecret('the token a broken exec plugin printed', pluginToken);
secrets.set('the basic-auth header value', [Buffer.from(`${basicUser}:${password}`).toString('base64')]);

function kubeconfigFile(name: string, user: Record<string, unknown>, clusterOver: Record<string, string> = {}): string {
  const file = `${dir}/${name}`;
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { ...cluster, ...clusterOver } }],
      users: [{ name, user }],
      contexts: [{ name, context: { cluster: 'local', user: name, namespace: ns } }],
      'current-context': name,
    }),
  );
  return file;
}
/** An exec credential plugin printing `token`; `broken`: the JSON cut short, or the plugin failing after printing it. */
function execPlugin(name: string, token: string, broken?: 'truncated' | 'exit 1'): Record<string, unknown> {
  const script = `${dir}/${name}.sh`;
  let cred = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token } });
  if (broken === 'truncated') cred = cred.slice(0, -1);
  const fail = broken === 'exit 1' ? 'echo "credential helper: giving up" >&2\nexit 1\n' : '';
  writeFileSync(script, `#!/bin/sh\ncat <<'EOF'\n${cred}\nEOF\n${fail}`);
  chmodSync(script, 0o755);
  return { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: script, interactiveMode: 'Never' } };
}

interface SecretCase {
  name: string;
  args: () => string[];
  /** Exit code when it is part of what the case proves; else only "not 0". */
  code?: number;
  /** The request reached the API server, so -v must have logged API calls. */
  reachesServer: boolean;
  /** The error path this case is about (so it proves what its name says). */
  stderr?: RegExp;
}

const UNREACHABLE = { server: 'https://127.0.0.1:9' };
let kc: Record<string, string> = {};

const SECRET_CASES: SecretCase[] = [
  { name: 'client certificate (admin), success', args: () => ['--context', 'admin', '-n', ns, secPod, '--', 'true'], code: 0, reachesServer: true },
  { name: 'client certificate (debugger), success', args: () => ['--context', 'debugger', '-n', ns, secPod, '--', 'true'], code: 0, reachesServer: true },
  { name: 'client certificate (attacher), attach session', args: () => ['--context', 'attacher', '-n', ns, secPod, '--', 'true'], code: 0, reachesServer: true },
  { name: 'client certificate (viewer), RBAC refusal', args: () => ['--context', 'viewer', '-n', ns, secPod, '--', 'true'], code: 70, reachesServer: true },
  { name: 'client certificate, impersonation refused', args: () => ['--context', 'debugger', '-n', ns, '--as', 'system:admin', secPod, '--', 'true'], reachesServer: true },
  { name: 'client certificate, --dry-run=server -o yaml', args: () => ['--context', 'debugger', '-n', ns, secPod, '--dry-run=server', '-o', 'yaml'], code: 0, reachesServer: true },
  { name: 'bearer token, success', args: () => ['--kubeconfig', kc.token!, secPod, '--', 'true'], code: 0, reachesServer: true },
  { name: 'bearer token, --dry-run=client -o json', args: () => ['--kubeconfig', kc.token!, secPod, '--dry-run=client', '-o', 'json'], code: 0, reachesServer: true },
  { name: 'invalid bearer token: 401', args: () => ['--kubeconfig', kc.badToken!, secPod, '--', 'true'], reachesServer: true, stderr: /Unauthorized|401/ },
  { name: 'basic auth username/password: not accepted by this API server (anonymous, 403)', args: () => ['--kubeconfig', kc.basic!, secPod, '--', 'true'], reachesServer: true },
  { name: 'exec credential plugin token, success', args: () => ['--kubeconfig', kc.exec!, secPod, '--', 'true'], code: 0, reachesServer: true },
  { name: 'exec credential plugin, invalid token: 401', args: () => ['--kubeconfig', kc.execBad!, secPod, '--', 'true'], reachesServer: true, stderr: /Unauthorized|401/ },
  { name: 'exec credential plugin that prints a token and fails', args: () => ['--kubeconfig', kc.execFails!, secPod, '--', 'true'], code: 65, reachesServer: false, stderr: /giving up/ },
  { name: 'exec credential plugin printing malformed JSON with a token in it', args: () => ['--kubeconfig', kc.execTruncated!, secPod, '--', 'true'], code: 65, reachesServer: false },
  { name: 'bearer token, unreachable server', args: () => ['--kubeconfig', kc.tokenUnreachable!, '--request-timeout', '5s', secPod, '--', 'true'], reachesServer: false, stderr: /ECONNREFUSED|cannot reach/ },
  { name: 'basic auth, unreachable server', args: () => ['--kubeconfig', kc.basicUnreachable!, '--request-timeout', '5s', secPod, '--', 'true'], reachesServer: false, stderr: /ECONNREFUSED|cannot reach/ },
  { name: 'exec credential plugin, unreachable server', args: () => ['--kubeconfig', kc.execUnreachable!, '--request-timeout', '5s', secPod, '--', 'true'], reachesServer: false, stderr: /ECONNREFUSED|cannot reach/ },
  { name: 'bearer token, wrong CA', args: () => ['--kubeconfig', kc.tokenWrongCA!, '--request-timeout', '5s', secPod, '--', 'true'], reachesServer: false, stderr: /certificate/i },
];

describe('secrets never reach any output, -v and errors included', () => {
  beforeAll(async () => {
    await createPod({ namespace: ns, name: secPod });
    await kubectl(['-n', ns, 'create', 'serviceaccount', sa]);
    await kubectl(['create', 'clusterrolebinding', sa, '--clusterrole=distroless-debug:debugger', `--serviceaccount=${ns}:${sa}`]);
    const token = (await kubectl(['-n', ns, 'create', 'token', sa, '--duration=15m'])).trim();
    const execToken = (await kubectl(['-n', ns, 'create', 'token', sa, '--duration=15m'])).trim();
    addSecret('the service account token', token);
    addSecret('the exec plugin token', execToken);
    const basic = { username: basicUser, password };
    // Another certificate, not the cluster CA: the server's certificate fails verification.
    const wrongCA = Buffer.from(readFileSync(`${dirname(KUBECONFIG)}/pki/apiserver-kubelet-client.crt`)).toString('base64');
    kc = {
      token: kubeconfigFile('token', { token }),
      badToken: kubeconfigFile('bad-token', { token: badToken }),
      basic: kubeconfigFile('basic', basic),
      exec: kubeconfigFile('exec', execPlugin('exec', execToken)),
      execBad: kubeconfigFile('exec-bad', execPlugin('exec-bad', badToken)),
      execFails: kubeconfigFile('exec-fails', execPlugin('exec-fails', pluginToken, 'exit 1')),
      execTruncated: kubeconfigFile('exec-truncated', execPlugin('exec-truncated', pluginToken, 'truncated')),
      tokenUnreachable: kubeconfigFile('token-unreachable', { token }, UNREACHABLE),
      basicUnreachable: kubeconfigFile('basic-unreachable', basic, UNREACHABLE),
      execUnreachable: kubeconfigFile('exec-unreachable', execPlugin('exec-unreachable', execToken), UNREACHABLE),
      tokenWrongCA: kubeconfigFile('token-wrong-ca', { token }, { 'certificate-authority-data': wrongCA }),
    };
  });
  afterAll(async () => {
    await deletePod(ns, secPod);
    await kubectl(['delete', 'clusterrolebinding', sa, '--ignore-not-found']);
    await kubectl(['-n', ns, 'delete', 'serviceaccount', sa, '--ignore-not-found']);
    rmSync(dir, { recursive: true, force: true });
  });

  const leaks = (r: Result): string[] => {
    const out = `${r.stdout}\n${r.stderr}`;
    const found: string[] = [];
    for (const [name, forms] of secrets) if (forms.some((f) => out.includes(f))) found.push(name);
    // Whatever the secret, an Authorization value is never printed: a Bearer
    // value (tokens hold digits; prose such as "Bearer authentication" does
    // not) or a Basic value that decodes to user:password.
    if (/Bearer\s+(?=\S*\d)[A-Za-z0-9._~+/=-]{16,}/.test(out)) found.push('a Bearer authorization value');
    for (const m of out.matchAll(/\bBasic\s+([A-Za-z0-9+/]{8,}={0,2})/g)) {
      if (Buffer.from(m[1]!, 'base64').toString().includes(':')) found.push('a Basic authorization value');
    }
    return found;
  };

  it('the suite knows what to look for: every user\'s client key, the tokens and the password', () => {
    const names = [...secrets.keys()];
    for (const u of ['admin', 'debugger', 'viewer', 'attacher']) expect(names).toContain(`client key of ${u}`);
    expect(names).toEqual(expect.arrayContaining(['the service account token', 'the exec plugin token', 'the invalid bearer token', 'the basic-auth password']));
    // And it would see one: a leak of any form is found.
    for (const [name, forms] of secrets) for (const f of forms) expect(leaks({ code: 0, stdout: `x ${f} y`, stderr: '' })).toContain(name);
    expect(leaks({ code: 0, stdout: '', stderr: 'Authorization: Bearer abc123def456ghi789' })).toEqual(['a Bearer authorization value']);
  });

  it.each(SECRET_CASES.map((c) => [c.name, c] as const))('%s, with -v', async (_name, c) => {
    const r = await plugin(['-v', ...c.args()], { timeoutMs: 120_000 });
    expect(leaks(r)).toEqual([]);
    if (c.code !== undefined) expect(r.code).toBe(c.code);
    else expect(r.code).not.toBe(0);
    // -v really was verbose: it logged the API calls it made.
    if (c.reachesServer) expect(r.stderr).toMatch(/\/api\/v1\/namespaces\//);
    if (c.stderr) expect(r.stderr).toMatch(c.stderr);
  });

  it.each(SECRET_CASES.filter((c) => c.code !== 0).map((c) => [c.name, c] as const))('%s, without -v', async (_name, c) => {
    const r = await plugin(c.args(), { timeoutMs: 120_000 });
    expect(leaks(r)).toEqual([]);
    expect(r.code).not.toBe(0);
  });
});
