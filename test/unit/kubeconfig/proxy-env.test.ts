import { describe, expect, it } from 'vitest';
import { parseProxyValue, proxyFromEnvironment } from '../../../src/kubeconfig/proxy-env.js';

// Go's golang.org/x/net/http/httpproxy rules, case by case (the cases of its own proxy_test.go, in spirit).
const P = 'http://proxy.corp:3128/';
const via = (target: string, env: Record<string, string>): string | undefined => proxyFromEnvironment(target, env)?.href;

describe('proxyFromEnvironment', () => {
  it.each<[string, string, Record<string, string>, string | undefined]>([
    ['HTTPS_PROXY for an https server', 'https://kube.example:6443', { HTTPS_PROXY: P }, P],
    ['https_proxy (lower case) too', 'https://kube.example:6443', { https_proxy: P }, P],
    ['HTTPS_PROXY beats https_proxy', 'https://kube.example:6443', { HTTPS_PROXY: P, https_proxy: 'http://other:1' }, P],
    ['an empty HTTPS_PROXY falls through to https_proxy', 'https://kube.example:6443', { HTTPS_PROXY: '', https_proxy: P }, P],
    ['HTTP_PROXY is not used for https', 'https://kube.example:6443', { HTTP_PROXY: P }, undefined],
    ['HTTP_PROXY for an http server', 'http://kube.example:8080', { HTTP_PROXY: P }, P],
    ['HTTP_PROXY ignored under CGI', 'http://kube.example:8080', { HTTP_PROXY: P, REQUEST_METHOD: 'GET' }, undefined],
    ['wss maps to https', 'wss://kube.example:6443', { HTTPS_PROXY: P }, P],
    ['a value without scheme is http://', 'https://kube.example', { HTTPS_PROXY: 'proxy.corp:3128' }, P],
    ['https proxies stay https', 'https://kube.example', { HTTPS_PROXY: 'https://proxy.corp:443' }, 'https://proxy.corp/'],
    ['localhost never', 'https://localhost:6443', { HTTPS_PROXY: P }, undefined],
    ['127.0.0.1 never', 'https://127.0.0.1:6443', { HTTPS_PROXY: P }, undefined],
    ['127.1.2.3 never', 'https://127.1.2.3:6443', { HTTPS_PROXY: P }, undefined],
    ['::1 never', 'https://[::1]:6443', { HTTPS_PROXY: P }, undefined],
    ['a non-loopback IP is proxied', 'https://10.213.213.1:6443', { HTTPS_PROXY: P }, P],
    ['NO_PROXY *', 'https://kube.example', { HTTPS_PROXY: P, NO_PROXY: '*' }, undefined],
    ['no_proxy lower case', 'https://kube.example', { HTTPS_PROXY: P, no_proxy: 'kube.example' }, undefined],
    ['NO_PROXY exact host', 'https://kube.example', { HTTPS_PROXY: P, NO_PROXY: 'other, KUBE.example ' }, undefined],
    ['NO_PROXY host matches subdomains', 'https://a.kube.example', { HTTPS_PROXY: P, NO_PROXY: 'kube.example' }, undefined],
    ['NO_PROXY host does not match a longer name', 'https://xkube.example', { HTTPS_PROXY: P, NO_PROXY: 'kube.example' }, P],
    ['NO_PROXY .suffix matches subdomains', 'https://a.kube.example', { HTTPS_PROXY: P, NO_PROXY: '.kube.example' }, undefined],
    ['NO_PROXY .suffix does not match the bare domain', 'https://kube.example', { HTTPS_PROXY: P, NO_PROXY: '.kube.example' }, P],
    ['NO_PROXY *.suffix is .suffix', 'https://a.kube.example', { HTTPS_PROXY: P, NO_PROXY: '*.kube.example' }, undefined],
    ['NO_PROXY host:port matches that port', 'https://kube.example:6443', { HTTPS_PROXY: P, NO_PROXY: 'kube.example:6443' }, undefined],
    ['NO_PROXY host:port not another port', 'https://kube.example:443', { HTTPS_PROXY: P, NO_PROXY: 'kube.example:6443' }, P],
    ['the default port counts', 'https://kube.example', { HTTPS_PROXY: P, NO_PROXY: 'kube.example:443' }, undefined],
    ['NO_PROXY IP', 'https://10.213.213.1:6443', { HTTPS_PROXY: P, NO_PROXY: '10.213.213.1' }, undefined],
    ['NO_PROXY IP:port', 'https://10.213.213.1:6443', { HTTPS_PROXY: P, NO_PROXY: '10.213.213.1:443' }, P],
    ['NO_PROXY CIDR', 'https://10.213.213.1:6443', { HTTPS_PROXY: P, NO_PROXY: '10.0.0.0/8' }, undefined],
    ['NO_PROXY CIDR, outside', 'https://11.0.0.1:6443', { HTTPS_PROXY: P, NO_PROXY: '10.0.0.0/8' }, P],
    ['a CIDR does not match a host name', 'https://kube.example', { HTTPS_PROXY: P, NO_PROXY: '10.0.0.0/8' }, P],
    ['NO_PROXY IPv6', 'https://[fd00::1]:6443', { HTTPS_PROXY: P, NO_PROXY: '[fd00::1]:6443' }, undefined],
    ['NO_PROXY IPv6 CIDR', 'https://[fd00::1]:6443', { HTTPS_PROXY: P, NO_PROXY: 'fd00::/8' }, undefined],
    ['nothing set', 'https://kube.example', {}, undefined],
  ])('%s', (_name, target, env, want) => {
    expect(via(target, env)).toBe(want);
  });

  it('keeps proxy credentials', () => {
    expect(parseProxyValue('http://u:p%40ss@proxy:3128')?.password).toBe('p%40ss');
  });
});
