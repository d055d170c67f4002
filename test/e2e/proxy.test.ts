import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { load } from 'js-yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPod, deletePod, escapeRegExp, KUBECONFIG, KUBECTL, nodeSideApiServer, plugin, run, uniq } from './helpers.js';

// HTTPS_PROXY / NO_PROXY / proxy-url, side by side with kubectl 1.34. A small
// CONNECT proxy in the test logs every CONNECT line and is the only one that
// can resolve the API server's name (kube-api.invalid → the cluster's
// node-side address, 10.213.213.1:6443 for the default cluster, which the API
// server's certificate covers; Go clients never proxy loopback addresses).
// The certificate is checked against tls-server-name "kubernetes", one of its names.
const ns = 'demo';
const pod = uniq('proxy');
const dir = mkdtempSync(`${tmpdir()}/dd-proxy-env-`);
const node = nodeSideApiServer();
const API = node.host;
const NAME = `kube-api.invalid:${node.port}`;

interface Kubeconfig {
  clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
}
const base = load(readFileSync(KUBECONFIG, 'utf8')) as Kubeconfig;
const ca = base.clusters[0]!.cluster['certificate-authority-data'];
const admin = base.users.find((u) => u.name === 'admin')!.user;

function kubeconfig(name: string, cluster: Record<string, unknown>): string {
  const file = `${dir}/${name}`;
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { 'certificate-authority-data': ca, ...cluster } }],
      users: [{ name: 'admin', user: admin }],
      contexts: [{ name: 'p', context: { cluster: 'local', user: 'admin', namespace: ns } }],
      'current-context': 'p',
    }),
  );
  return file;
}

let proxy: Server;
let proxyPort = 0;
let log: string[] = [];
const open = new Set<Socket>();

beforeAll(async () => {
  proxy = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.once('data', (chunk: Buffer) => {
      const head = chunk.toString('latin1');
      const m = /^CONNECT (\S+) HTTP\/1\.[01]\r\n/.exec(head);
      if (!m) return client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
      const target = m[1] as string;
      log.push(`CONNECT ${target}`);
      // Only the proxy knows this name.
      const [host, port] = (target === NAME ? API : target).split(':') as [string, string];
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        client.pipe(upstream).pipe(client);
      });
      open.add(upstream);
      upstream.on('close', () => open.delete(upstream));
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      upstream.on('error', drop);
      client.on('error', drop);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyPort = (proxy.address() as { port: number }).port;
  await createPod({ namespace: ns, name: pod });
});
afterAll(async () => {
  for (const s of open) s.destroy();
  proxy.close();
  await deletePod(ns, pod);
});
beforeEach(() => {
  log = [];
});

const viaName = () => kubeconfig('by-name', { server: `https://${NAME}`, 'tls-server-name': 'kubernetes' });
const env = (extra: Record<string, string> = {}) => ({ HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`, NO_PROXY: '', no_proxy: '', ...extra });

describe('HTTPS_PROXY', () => {
  it('a server only the proxy can resolve: kubectl works, and so does the plugin, REST and exec stream through CONNECT tunnels', async () => {
    const file = viaName();
    const k = await run(KUBECTL, ['--kubeconfig', file, 'get', 'pod', pod, '-o', 'name'], { env: env() });
    expect(k.stderr).toBe('');
    expect(k).toMatchObject({ code: 0, stdout: `pod/${pod}\n` });
    expect(log.length).toBeGreaterThan(0);
    expect(new Set(log)).toEqual(new Set([`CONNECT ${NAME}`]));

    log = [];
    const r = await plugin(['--kubeconfig', file, pod, '-v', '--', 'cat', 'etc/app-variant'], { env: env() });
    expect(r.stdout).toBe('nonroot\n');
    expect(r.code).toBe(0);
    expect(new Set(log)).toEqual(new Set([`CONNECT ${NAME}`]));
    expect(r.stderr).toContain(`connections go through the proxy http://127.0.0.1:${proxyPort} (HTTPS_PROXY)`);
    // One tunnel per keep-alive connection, not one per request. Every exec/attach WebSocket takes
    // a connection of its own (on a fresh pod the first attempts meet "container not found" and
    // are retried, more of them on a loaded machine), while REST requests share a few pooled
    // connections: so the tunnels number at most the streams plus the few parallel REST
    // connections (the checks run four at once, the pod watch holds one), and fewer than the requests.
    const lines = r.stderr.split('\n');
    const rest = lines.filter((l) => /\] (GET|POST|PATCH) \/api/.test(l)).length;
    // Each exec attempt: one that opened, or one refused at its handshake (an API server
    // without the v5 WebSocket refuses there, "container not found" included, then SPDY opens).
    const streams = lines.filter((l) => / stream: (open, protocol |handshake refused )/.test(l)).length;
    expect(streams).toBeGreaterThan(0);
    expect(log.length).toBeLessThan(rest + streams);
    expect(log.length).toBeLessThanOrEqual(streams + 6);
    expect(r.stderr.split('\n').filter((l) => l.includes('proxy: CONNECT')).length).toBe(log.length);
  });

  it('a second run reuses its tunnels the same way (the count per run stays small)', async () => {
    const file = viaName();
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      log = [];
      const r = await plugin(['--kubeconfig', file, pod, '-q', '--', 'true'], { env: env() });
      expect(r.code).toBe(0);
      counts.push(log.length);
    }
    console.log(`CONNECTs per run: ${counts.join(', ')}`);
    for (const c of counts) expect(c).toBeLessThanOrEqual(8);
  });

  it('lower-case https_proxy works too', async () => {
    const r = await plugin(['--kubeconfig', viaName(), pod, '-q', '--', 'cat', 'etc/app-variant'], {
      env: { HTTPS_PROXY: '', https_proxy: `127.0.0.1:${proxyPort}`, NO_PROXY: '', no_proxy: '' },
    });
    expect(r).toMatchObject({ code: 0, stdout: 'nonroot\n' });
    expect(log.length).toBeGreaterThan(0);
  });

  it('NO_PROXY bypasses the proxy (IP, CIDR, host suffix), for kubectl and the plugin alike', async () => {
    const direct = kubeconfig('direct', { server: `https://${API}` });
    for (const noProxy of [node.hostname, '10.213.0.0/16', API]) {
      log = [];
      const k = await run(KUBECTL, ['--kubeconfig', direct, 'get', 'pod', pod, '-o', 'name'], { env: env({ NO_PROXY: noProxy }) });
      expect(k.code).toBe(0);
      const r = await plugin(['--kubeconfig', direct, pod, '-q', '--', 'cat', 'etc/app-variant'], { env: env({ NO_PROXY: noProxy }) });
      expect(r).toMatchObject({ code: 0, stdout: 'nonroot\n' });
      expect(log).toEqual([]);
    }
    // Without NO_PROXY the same address goes through the proxy, for both.
    log = [];
    expect((await run(KUBECTL, ['--kubeconfig', direct, 'get', 'pod', pod, '-o', 'name'], { env: env() })).code).toBe(0);
    expect(log.length).toBeGreaterThan(0);
    log = [];
    expect((await plugin(['--kubeconfig', direct, pod, '-q', '--', 'true'], { env: env() })).code).toBe(0);
    expect(new Set(log)).toEqual(new Set([`CONNECT ${API}`]));
    // A name suffix: kube-api.invalid is not resolvable, so bypassing the proxy fails, for both, the same way.
    const k = await run(KUBECTL, ['--kubeconfig', viaName(), 'get', 'pod', pod], { env: env({ NO_PROXY: '.invalid' }) });
    const r = await plugin(['--kubeconfig', viaName(), pod, '-q', '--', 'true'], { env: env({ NO_PROXY: '.invalid' }) });
    expect(k.code).not.toBe(0);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(new RegExp(`^error: cannot reach the API server at (https://)?${escapeRegExp(NAME)} \\((ENOTFOUND|EAI_AGAIN)\\)`));
  });

  it('loopback servers are never proxied', async () => {
    const r = await plugin(['--context', 'admin', '-n', ns, pod, '-q', '--', 'true'], { env: env() });
    expect(r.code).toBe(0);
    expect(log).toEqual([]);
  });

  it('kubeconfig proxy-url beats HTTPS_PROXY, as in kubectl', async () => {
    const file = kubeconfig('proxy-url', { server: `https://${NAME}`, 'tls-server-name': 'kubernetes', 'proxy-url': `http://127.0.0.1:${proxyPort}` });
    const dead = { HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '', no_proxy: '' };
    const k = await run(KUBECTL, ['--kubeconfig', file, 'get', 'pod', pod, '-o', 'name'], { env: dead });
    expect(k.code).toBe(0);
    log = [];
    const r = await plugin(['--kubeconfig', file, pod, '-q', '--', 'cat', 'etc/app-variant'], { env: dead });
    expect(r).toMatchObject({ code: 0, stdout: 'nonroot\n' });
    expect(new Set(log)).toEqual(new Set([`CONNECT ${NAME}`]));
    expect(log.length).toBeLessThanOrEqual(8);
  });

  it('a proxy that cannot be reached: one line naming the proxy', async () => {
    const r = await plugin(['--kubeconfig', viaName(), pod, '-q', '--', 'true'], { env: { HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' } });
    expect(r.code).toBe(78);
    expect(r.stderr).toBe(`error: cannot reach the proxy http://127.0.0.1:9 (ECONNREFUSED) to connect to ${NAME}; check HTTPS_PROXY/NO_PROXY or the cluster's proxy-url\n`);
  });
});
