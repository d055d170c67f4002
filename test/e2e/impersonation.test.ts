import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiServer, createPod, deletePod, ephemeralNames, KUBECONFIG, KUBECTL, kubectl, plugin, run, uniq } from './helpers.js';

// Impersonation exactly as kubectl sends it. A recording relay in front of
// the real API server (TLS ended here, forwarded with the admin's client
// certificate, which may impersonate) keeps every Impersonate-* header line
// of every request, REST and WebSocket upgrade alike; the lines kubectl 1.34
// sends are the reference.
const ns = 'demo';
const pod = uniq('imp');
const dir = mkdtempSync(`${tmpdir()}/dd-imp-`);

interface Kubeconfig {
  clusters: Array<{ name: string; cluster: Record<string, string> }>;
  users: Array<{ name: string; user: Record<string, string> }>;
}
const base = load(readFileSync(KUBECONFIG, 'utf8')) as Kubeconfig;
const cluster = base.clusters[0]!.cluster;
const admin = base.users.find((u) => u.name === 'admin')!.user;
const b = (s: string | undefined) => Buffer.from(s ?? '', 'base64');
const upstreamTls = { ca: b(cluster['certificate-authority-data']), cert: b(admin['client-certificate-data']), key: b(admin['client-key-data']) };

interface Recorded {
  upgrade: boolean;
  url: string;
  /** Impersonate-* lines as sent: [lower-cased name, value], in order. */
  lines: Array<[string, string]>;
}
let recorded: Recorded[] = [];
let relay: Server;
let port = 0;

function impersonationLines(req: IncomingMessage): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] as string).toLowerCase();
    if (name.startsWith('impersonate-')) out.push([name, req.rawHeaders[i + 1] as string]);
  }
  return out;
}

/**
 * The client's header lines for the API server: Host rewritten, and the
 * client's placeholder token dropped (the relay authenticates as the admin).
 */
function upstreamHeaders(req: IncomingMessage): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (lower === 'authorization') continue;
    out.push([name, lower === 'host' ? apiServer().host : (req.rawHeaders[i + 1] as string)]);
  }
  return out;
}

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  relay = createServer({ key: readFileSync(`${dir}/key.pem`), cert: readFileSync(`${dir}/cert.pem`) }, (req, res) => {
    recorded.push({ upgrade: false, url: req.url ?? '', lines: impersonationLines(req) });
    // Forwarded line by line (req.headers would join repeated Impersonate-Group lines into one).
    const raw = upstreamHeaders(req).flat();
    const fwd = request({ host: apiServer().hostname, port: Number(apiServer().port), method: req.method, path: req.url, headers: raw, ...upstreamTls }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      ures.pipe(res);
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  relay.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    recorded.push({ upgrade: true, url: req.url ?? '', lines: impersonationLines(req) });
    const up = tlsConnect({ host: apiServer().hostname, port: Number(apiServer().port), servername: 'localhost', ...upstreamTls, ALPNProtocols: ['http/1.1'] }, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`, ...upstreamHeaders(req).map(([n, v]) => `${n}: ${v}`)];
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
      socket.pipe(up).pipe(socket);
    });
    const drop = () => {
      socket.destroy();
      up.destroy();
    };
    up.on('error', drop);
    socket.on('error', drop);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  port = (relay.address() as { port: number }).port;
  await createPod({ namespace: ns, name: pod });
});
afterAll(async () => {
  relay.close();
  relay.closeAllConnections?.();
  await deletePod(ns, pod);
});

/** A kubeconfig for the relay: a placeholder token (kubectl would prompt without one); the relay authenticates as the admin. */
function relayKubeconfig(name: string, extra: Record<string, unknown>): string {
  const user = { token: 'placeholder', ...extra };
  const file = `${dir}/${name}`;
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'relay', cluster: { server: `https://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'relay', context: { cluster: 'relay', user: 'u', namespace: ns } }],
      'current-context': 'relay',
    }),
  );
  return file;
}

/** Header lines in a comparable order: by name (Go's map order for extras is random), values in sent order. */
const canonical = (lines: Array<[string, string]>) => [...lines].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

interface Seen {
  rest: string[];
  upgrade: string[];
}
function summarize(records: Recorded[]): Seen {
  const rest = new Set(records.filter((r) => !r.upgrade).map((r) => JSON.stringify(canonical(r.lines))));
  const upgrade = new Set(records.filter((r) => r.upgrade).map((r) => JSON.stringify(canonical(r.lines))));
  return { rest: [...rest], upgrade: [...upgrade] };
}

async function debuggerName(): Promise<string> {
  const names = await ephemeralNames(ns, pod);
  expect(names.length).toBeGreaterThan(0);
  return names[names.length - 1] as string;
}

describe('impersonation headers, as kubectl sends them', () => {
  it('flags: --as, two --as-group, --as-uid: the same lines on every REST call and on the exec upgrade', async () => {
    const file = relayKubeconfig('flags', {});
    const flags = ['--as', 'dd-imp-jane', '--as-group', 'system:masters', '--as-group', 'dd team, two', '--as-uid', 'uid-1234'];

    recorded = [];
    const r = await plugin(['--kubeconfig', file, ...flags, pod, '-q', '--', 'id', '-u'], { env: { XDG_CACHE_HOME: mkdtempSync(`${dir}/cache-`) } });
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: '65532\n' });
    const ours = summarize(recorded);

    recorded = [];
    const k = await run(KUBECTL, ['--kubeconfig', file, ...flags, 'exec', pod, '-c', await debuggerName(), '--', 'true']);
    expect(k.stderr).toBe('');
    expect(k.code).toBe(0);
    const theirs = summarize(recorded);

    const want = JSON.stringify([
      ['impersonate-group', 'system:masters'],
      ['impersonate-group', 'dd team, two'],
      ['impersonate-uid', 'uid-1234'],
      ['impersonate-user', 'dd-imp-jane'],
    ]);
    expect(theirs).toEqual({ rest: [want], upgrade: [want] });
    expect(ours.rest).toEqual(theirs.rest);
    expect(ours.upgrade).toEqual(theirs.upgrade);
  });

  it('kubeconfig as, as-groups, as-uid and as-user-extra (keys percent-encoded, one line per value)', async () => {
    const file = relayKubeconfig('kubeconfig', {
      as: 'dd-imp-sam',
      'as-groups': ['system:masters', 'dd-g2'],
      'as-uid': 'u-9',
      'as-user-extra': { 'example.org/team x%': ['a', 'b'], scopes: ['s1'] },
    });
    recorded = [];
    // A cache of its own, so the run reads the pod (REST) before its exec instead of using the remembered debugger.
    const r = await plugin(['--kubeconfig', file, pod, '-q', '--', 'true'], { env: { XDG_CACHE_HOME: mkdtempSync(`${dir}/cache-`) } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ours = summarize(recorded);

    recorded = [];
    const k = await run(KUBECTL, ['--kubeconfig', file, 'exec', pod, '-c', await debuggerName(), '--', 'true']);
    expect(k.code).toBe(0);
    const theirs = summarize(recorded);
    expect(theirs.rest).toHaveLength(1);
    expect(JSON.parse(theirs.rest[0] as string)).toEqual(
      expect.arrayContaining([
        ['impersonate-extra-example.org%2fteam%20x%25', 'a'],
        ['impersonate-extra-example.org%2fteam%20x%25', 'b'],
        ['impersonate-extra-scopes', 's1'],
      ].map(([n, v]) => [expect.stringMatching(new RegExp(`^${(n as string).replace(/[.%]/g, (c) => `\\${c}`)}$`, 'i')), v])),
    );
    // Header names are case-insensitive (Go canonicalises them): compare them lower-cased, escapes included.
    const lower = (s: Seen) => ({ rest: s.rest.map((x) => x.toLowerCase()), upgrade: s.upgrade.map((x) => x.toLowerCase()) });
    expect(lower(ours)).toEqual(lower(theirs));
  });

  it('on the real cluster: two --as-group work for exec where kubectl works (exit 0 for both)', async () => {
    const flags = ['--context', 'admin', '-n', ns, '--as', 'dd-imp-kim', '--as-group', 'system:masters', '--as-group', 'dd-second'];
    const r = await plugin([...flags, pod, '-q', '--', 'id', '-u']);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: '65532\n' });
    const k = await run(KUBECTL, [...flags, 'exec', pod, '-c', await debuggerName(), '--', 'id', '-u']);
    expect(k).toMatchObject({ code: 0, stdout: '65532\n' });
    // And the API server saw the impersonated user: a review as that identity says so.
    const who = await kubectl(['--as', 'dd-imp-kim', '--as-group', 'system:masters', '--as-group', 'dd-second', 'auth', 'whoami', '-o', 'json']);
    expect(JSON.parse(who)).toMatchObject({ status: { userInfo: { username: 'dd-imp-kim', groups: expect.arrayContaining(['system:masters', 'dd-second']) } } });
  });
});
