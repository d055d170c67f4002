import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiServer, createPod, deletePod, escapeRegExp, KUBECONFIG, KUBECTL, PLUGIN, plugin, run, STATE, uniq } from './helpers.js';

// Terminal conventions and certificate messages, tried as a user would.
// The spinner runs on a real terminal (tmux), and `script` records every
// byte the plugin writes there, escape sequences included.
const ns = 'demo';
const pod = uniq('term');
const dir = mkdtempSync(`${tmpdir()}/dd-term-`);
const PKI = `${STATE}/pki`;

beforeAll(async () => {
  await createPod({ namespace: ns, name: pod });
});
afterAll(async () => {
  await deletePod(ns, pod);
});

/** The raw bytes a run writes to its terminal, with `envs` (NAME=VALUE, or -u NAME) set. */
async function terminalBytes(name: string, envs: string[]): Promise<Buffer> {
  const session = uniq('dd-term');
  const out = `${dir}/${name}.typescript`;
  const done = `${dir}/${name}.done`;
  // --new: a debugger that starts while we watch, so the spinner turns.
  // -u CI: a person at a terminal; under CI=true ora never animates (plain "- text" lines).
  const cmd = `env -u CI ${envs.join(' ')} KUBECONFIG=${KUBECONFIG} ${PLUGIN} --context admin -n ${ns} ${pod} --new -- true`;
  execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '30', `script -qfec '${cmd}' ${out}; echo $? > ${done}; sleep 60`]);
  try {
    for (let i = 0; i < 400 && !existsSync(done); i++) await new Promise((r) => setTimeout(r, 150));
    expect(readFileSync(done, 'utf8').trim()).toBe('0');
    return readFileSync(out);
  } finally {
    execFileSync('tmux', ['kill-session', '-t', session]);
  }
}

const COLOR = /\u001b\[[0-9;]*(3[0-7]|9[0-7]|38;[0-9;]+)m/;
const nonAscii = (b: Buffer) => [...b].filter((x) => x >= 0x80).length;

describe('terminal conventions', () => {
  it('a UTF-8 locale with colour (the control case): Unicode frames and symbols, coloured', async () => {
    const b = await terminalBytes('utf8', ['-u', 'LC_ALL', '-u', 'LC_CTYPE', '-u', 'NO_COLOR', 'LANG=C.UTF-8']);
    expect(b.toString('utf8')).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏](\u001b\[39m)? (Loading kubeconfig|Finding pod)/);
    expect(b.toString('utf8')).toContain(`• pod/${pod}: container app`);
    expect(b.toString('latin1')).toMatch(COLOR);
  });

  it('LC_ALL=C: ASCII spinner frames and symbols, not one byte outside ASCII', async () => {
    const b = await terminalBytes('c', ['-u', 'NO_COLOR', 'LANG=C.UTF-8', 'LC_ALL=C']);
    expect(nonAscii(b)).toBe(0);
    const text = b.toString('latin1');
    expect(text).toMatch(/[-\\|/](\u001b\[39m)? (Loading kubeconfig|Finding pod)/);
    expect(text).toContain(`* pod/${pod}: container app`);
  });

  it('LANG=C with no LC_ALL, and a Latin-1 LC_CTYPE: ASCII too', async () => {
    expect(nonAscii(await terminalBytes('lang-c', ['-u', 'LC_ALL', '-u', 'LC_CTYPE', '-u', 'NO_COLOR', 'LANG=C']))).toBe(0);
    expect(nonAscii(await terminalBytes('latin1', ['-u', 'LC_ALL', '-u', 'NO_COLOR', 'LANG=C.UTF-8', 'LC_CTYPE=en_US.ISO-8859-1']))).toBe(0);
  });

  it('NO_COLOR=1: no colour escape at all (Unicode stays)', async () => {
    const b = await terminalBytes('nocolor', ['-u', 'LC_ALL', '-u', 'LC_CTYPE', 'LANG=C.UTF-8', 'NO_COLOR=1']);
    expect(b.toString('latin1')).not.toMatch(COLOR);
    expect(b.toString('utf8')).toContain(`• pod/${pod}: container app`);
  });
});

/** A copy of the admin kubeconfig whose cluster entry ("local") trusts `ca` instead. */
function withCluster(name: string, cluster: Record<string, unknown>): string {
  const cfg = JSON.parse(execFileSync(KUBECTL, ['config', 'view', '--raw', '-o', 'json', '--kubeconfig', KUBECONFIG], { encoding: 'utf8' })) as {
    clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  };
  const local = cfg.clusters.find((c) => c.name === 'local')!;
  const { 'certificate-authority-data': _drop, ...rest } = local.cluster;
  local.cluster = { ...rest, ...cluster };
  const file = `${dir}/${name}.kubeconfig`;
  writeFileSync(file, JSON.stringify(cfg));
  return file;
}

describe('certificate messages name the cluster entry', () => {
  it('a certificate chain that does not lead to the configured CA: "certificate" and cluster "local", not "is the cluster up"', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/other.key`, '-out', `${dir}/other-ca.crt`, '-days', '1', '-subj', '/CN=other-ca'], { stdio: 'ignore' });
    const file = withCluster('other-ca', { 'certificate-authority': `${dir}/other-ca.crt` });
    const k = await run(KUBECTL, ['--kubeconfig', file, '--context', 'admin', '-n', ns, 'get', 'pod', pod]);
    expect(k.code).toBe(1);
    expect(k.stderr).toMatch(/certificate/);
    const r = await plugin(['--kubeconfig', file, '--context', 'admin', '-n', ns, pod, '-q', '--', 'true']);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: the API server's certificate at ${escapeRegExp(apiServer().origin)} is not trusted \\(\\w+\\): its certificate chain does not lead to the certificate authority of cluster "local" \\(context "admin"\\); fix certificate-authority-data \\(or certificate-authority\\) of that cluster entry\\n$`,
      ),
    );
    expect(r.stderr).not.toContain('cluster is up');
  });

  it('a truncated certificate-authority file says so (kubectl: "unable to load root certificates")', async () => {
    writeFileSync(`${dir}/trunc.crt`, readFileSync(`${PKI}/ca.crt`, 'utf8').slice(0, 400));
    const file = withCluster('trunc', { 'certificate-authority': `${dir}/trunc.crt` });
    const k = await run(KUBECTL, ['--kubeconfig', file, '--context', 'admin', '-n', ns, 'get', 'pod', pod]);
    expect(k.code).toBe(1);
    const r = await plugin(['--kubeconfig', file, '--context', 'admin', '-n', ns, pod, '-q', '--', 'true']);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(`error: the certificate-authority file ${dir}/trunc.crt of cluster "local" (context "admin") holds no PEM certificate; fix that cluster entry\n`);
  });

  it('a missing certificate-authority file names the cluster entry, not the user', async () => {
    const file = withCluster('missing', { 'certificate-authority': `${dir}/no-such-ca.crt` });
    const k = await run(KUBECTL, ['--kubeconfig', file, '--context', 'admin', '-n', ns, 'get', 'pod', pod]);
    expect(k.code).toBe(1);
    expect(k.stderr).toContain('for local');
    const r = await plugin(['--kubeconfig', file, '--context', 'admin', '-n', ns, pod, '-q', '--', 'true']);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(`error: cannot read the certificate-authority file ${dir}/no-such-ca.crt of cluster "local" (context "admin") (file not found); fix the path in that entry\n`);
    expect(r.stderr).not.toContain('user');
  });
});
