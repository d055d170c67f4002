import { createServer as createHttpServer, get, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TunnelAgent } from '../../../src/kubeconfig/tunnel-agent.js';

// The CONNECT agent against a local proxy and a plain http target: one
// tunnel per pooled connection, the proxy's refusals as one line.
let target: HttpServer;
let targetPort = 0;
let proxy: Server;
let proxyPort = 0;
let connects: string[] = [];
let mode: 'ok' | '407' | 'hangup' = 'ok';

beforeAll(async () => {
  target = createHttpServer((_req, res) => res.end('hello'));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  targetPort = (target.address() as { port: number }).port;
  proxy = createServer((client: Socket) => {
    client.once('data', (chunk: Buffer) => {
      const head = chunk.toString('latin1');
      connects.push(head.split('\r\n')[0] ?? '');
      if (mode === '407') return client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
      if (mode === 'hangup') return client.destroy();
      const auth = /Proxy-Authorization: Basic (\S+)/.exec(head)?.[1];
      if (auth) connects.push(`auth ${Buffer.from(auth, 'base64').toString()}`);
      const upstream = connect(targetPort, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        client.pipe(upstream).pipe(client);
      });
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyPort = (proxy.address() as { port: number }).port;
});
afterAll(() => {
  target.close();
  proxy.close();
});

function fetchVia(agent: TunnelAgent): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`http://kube.invalid:${targetPort}/x`, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('TunnelAgent', () => {
  it('one CONNECT for several sequential requests on a keep-alive connection; credentials from the proxy URL', async () => {
    mode = 'ok';
    connects = [];
    const agent = new TunnelAgent(new URL(`http://u%40x:p%3Aw@127.0.0.1:${proxyPort}`), { keepAlive: true, secure: false });
    for (let i = 0; i < 3; i++) expect(await fetchVia(agent)).toBe('hello');
    expect(connects).toEqual([`CONNECT kube.invalid:${targetPort} HTTP/1.1`, 'auth u@x:p:w']);
    agent.destroy();
  });

  it('a 407 is one line that says where credentials go', async () => {
    mode = '407';
    const agent = new TunnelAgent(new URL(`http://127.0.0.1:${proxyPort}`), { keepAlive: true, secure: false });
    await expect(fetchVia(agent)).rejects.toThrow(
      `the proxy http://127.0.0.1:${proxyPort} refused CONNECT kube.invalid:${targetPort}: HTTP/1.1 407 Proxy Authentication Required; the proxy wants credentials: put them in the proxy URL (http://user:pass@host:port)`,
    );
  });

  it('a proxy that hangs up without answering is an error at once, not a hang', async () => {
    mode = 'hangup';
    const agent = new TunnelAgent(new URL(`http://127.0.0.1:${proxyPort}`), { keepAlive: true, secure: false });
    await expect(fetchVia(agent)).rejects.toThrow(/closed the connection without answering CONNECT/);
  });
});
