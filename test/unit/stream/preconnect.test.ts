import https from 'node:https';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { TunnelAgent } from '../../../src/kubeconfig/tunnel-agent.js';
import { canPreconnect } from '../../../src/stream/preconnect.js';
import { tlsMaterial } from '../../../src/stream/tls-material.js';

describe('canPreconnect: only a direct TLS connection is opened ahead', () => {
  it('an https server with the shared keep-alive agent, or none', () => {
    expect(canPreconnect('https://127.0.0.1:6443', { agent: new https.Agent({ keepAlive: true }) })).toBe(true);
    expect(canPreconnect('https://k8s.example:443/prefix', {})).toBe(true);
  });

  it('not through a proxy tunnel, not over plain HTTP, not with another agent', () => {
    const tunnel = new TunnelAgent(new URL('http://proxy.example:3128'), { keepAlive: true, secure: true });
    expect(canPreconnect('https://127.0.0.1:6443', { agent: tunnel })).toBe(false);
    expect(canPreconnect('http://127.0.0.1:8080', { agent: new http.Agent() })).toBe(false);
    expect(canPreconnect('http://127.0.0.1:8080', {})).toBe(false);
    expect(canPreconnect('https://127.0.0.1:6443', { agent: new http.Agent() })).toBe(false);
  });
});

describe('tlsMaterial: the TLS options a stream connects with, whichever way it connects', () => {
  it('copies the fields that are set and nothing else', () => {
    expect(tlsMaterial({ ca: 'CA', cert: 'C', key: 'K', rejectUnauthorized: false, servername: 'api', headers: { a: 'b' }, host: 'h' })).toEqual({
      ca: 'CA',
      cert: 'C',
      key: 'K',
      rejectUnauthorized: false,
      servername: 'api',
    });
    expect(Object.keys(tlsMaterial({ ca: undefined, pfx: 'P', passphrase: 'pw' }))).toEqual(['pfx', 'passphrase']);
  });
});
