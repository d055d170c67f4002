import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { execCredentialSource, execInfo, parseCredential, type PluginRun } from '../../../src/kubeconfig/exec-credential.js';

describe('parseCredential', () => {
  it('a token, with its expiry', () => {
    expect(parseCredential(JSON.stringify({ kind: 'ExecCredential', status: { token: 't', expirationTimestamp: '2999-01-01T00:00:00Z' } }))).toEqual({
      token: 't',
      expirationTimestamp: '2999-01-01T00:00:00Z',
    });
  });
  it('a client certificate and key', () => {
    expect(parseCredential(JSON.stringify({ kind: 'ExecCredential', status: { clientCertificateData: 'C', clientKeyData: 'K' } }))).toEqual({
      clientCertificateData: 'C',
      clientKeyData: 'K',
    });
  });
  it.each([
    ['', 'empty output'],
    ['token: abc', 'output is not JSON'],
    ['{"kind":"Other","status":{"token":"t"}}', 'not an ExecCredential with a status'],
    ['{"kind":"ExecCredential"}', 'not an ExecCredential with a status'],
    ['{"kind":"ExecCredential","status":{"clientCertificateData":"C"}}', 'neither a token nor a client certificate and key'],
    ['null', 'not an ExecCredential with a status'],
  ])('refuses %j: %s', (out, why) => {
    expect(() => parseCredential(out)).toThrow(why);
  });
});

describe('execInfo', () => {
  it('never interactive; cluster info only when asked for', () => {
    expect(JSON.parse(execInfo({ command: 'x' }, { server: 'https://s' }))).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      kind: 'ExecCredential',
      spec: { interactive: false },
    });
    expect(
      JSON.parse(execInfo({ command: 'x', apiVersion: 'client.authentication.k8s.io/v1', provideClusterInfo: true }, { server: 'https://s', 'certificate-authority-data': 'Q0E=' })),
    ).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: { interactive: false, cluster: { server: 'https://s', 'certificate-authority-data': 'Q0E=' } },
    });
  });
});

describe('execCredentialSource', () => {
  const run = (script: string): PluginRun => ({
    exec: { command: '/bin/sh', args: ['-c', script] },
    cluster: {},
    who: 'user "u" (context "c")',
    timeoutMs: 5000,
    timeoutSource: '--request-timeout',
    env: { PATH: process.env.PATH ?? '' },
  });
  it('runs the plugin once while the credential is valid, and again in its last minute', async () => {
    const dir = mkdtempSync(`${tmpdir()}/dd-exec-`);
    let now = Date.parse('2030-01-01T00:00:00Z');
    const cred = JSON.stringify({ kind: 'ExecCredential', status: { token: 't', expirationTimestamp: '2030-01-01T00:10:00Z' } });
    const source = execCredentialSource(run(`echo run >> ${dir}/runs; printf '%s' '${cred}'`), () => now);
    const runs = () => readFileSync(`${dir}/runs`, 'utf8').trim().split('\n').length;
    expect((await Promise.all([source(), source(), source()])).map((c) => c.token)).toEqual(['t', 't', 't']);
    expect(await source()).toEqual({ token: 't', expirationTimestamp: '2030-01-01T00:10:00Z' });
    expect(runs()).toBe(1);
    now += 9.5 * 60_000;
    expect((await source()).token).toBe('t');
    expect(runs()).toBe(2);
  });
  it('a plugin that exits non-zero with nothing on stderr: its exit code', async () => {
    await expect(execCredentialSource(run('exit 3'))()).rejects.toThrow(
      'exec credential plugin "/bin/sh" for user "u" (context "c") failed: exit code 3; run it by hand to see why',
    );
  });
});
