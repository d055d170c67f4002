/**
 * Which proxy a request to the API server goes through when the kubeconfig
 * names none: Go's net/http rules (golang.org/x/net/http/httpproxy), which
 * kubectl applies to REST calls and to the exec/attach WebSocket alike.
 * Pure: the environment is passed in.
 *
 * - https servers use HTTPS_PROXY (else https_proxy); http servers use
 *   HTTP_PROXY (else http_proxy), which is ignored when REQUEST_METHOD is set
 *   (CGI). An https server never uses HTTP_PROXY.
 * - A proxy value without a scheme is read as http://VALUE.
 * - Never proxied: "localhost" and loopback addresses.
 * - NO_PROXY (else no_proxy), comma-separated, case-insensitive: "*" (all),
 *   an IP or CIDR, a host name that matches itself and its subdomains,
 *   ".example.com" / "*.example.com" that match subdomains only; each with an
 *   optional ":port" that must then match too.
 */
import { BlockList, isIP } from 'node:net';

export interface ProxyEnv {
  [name: string]: string | undefined;
}

function firstSet(env: ProxyEnv, ...names: string[]): string {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== '') return v;
  }
  return '';
}

/** Go's parseProxy: a value Go's url.Parse would give no scheme or host is tried as http://VALUE. */
export function parseProxyValue(value: string): URL | undefined {
  if (value === '') return undefined;
  const direct = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]/i.test(value) ? tryUrl(value) : undefined;
  if (direct && direct.host !== '') return direct;
  return tryUrl(`http://${value}`);
}

function tryUrl(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

type Family = 'ipv4' | 'ipv6';

function familyOf(ip: string): Family | undefined {
  const kind = isIP(ip);
  return kind === 4 ? 'ipv4' : kind === 6 ? 'ipv6' : undefined;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** A CIDR entry ("10.0.0.0/8", "fd00::/8") as a BlockList, or undefined. */
function parseCidr(p: string): BlockList | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(p);
  if (!m) return undefined;
  const family = familyOf(m[1] as string);
  const bits = Number(m[2]);
  if (!family || bits > (family === 'ipv4' ? 32 : 128)) return undefined;
  const list = new BlockList();
  list.addSubnet(m[1] as string, bits, family);
  return list;
}

/** Go's net.SplitHostPort, for NO_PROXY entries: undefined when there is no port. */
function splitHostPort(p: string): { host: string; port: string } | undefined {
  if (p.startsWith('[')) {
    const m = /^\[([^\]]*)\]:([^:]*)$/.exec(p);
    return m ? { host: m[1] as string, port: m[2] as string } : undefined;
  }
  const colon = p.lastIndexOf(':');
  if (colon < 0 || p.indexOf(':') !== colon) return undefined;
  return { host: p.slice(0, colon), port: p.slice(colon + 1) };
}

type Matcher = (host: string, port: string, ip: Family | undefined) => boolean;

function noProxyMatchers(noProxy: string): { ip: Matcher[]; domain: Matcher[] } {
  const ip: Matcher[] = [];
  const domain: Matcher[] = [];
  for (const raw of noProxy.split(',')) {
    const p = raw.trim().toLowerCase();
    if (p === '') continue;
    if (p === '*') return { ip: [() => true], domain: [() => true] };
    const cidr = parseCidr(p);
    if (cidr) {
      ip.push((host, _p, family) => family !== undefined && cidr.check(host, family));
      continue;
    }
    let phost = p;
    let pport = '';
    const hp = splitHostPort(p);
    if (hp) {
      if (hp.host === '') continue;
      phost = hp.host;
      pport = hp.port;
    }
    const pfamily = familyOf(phost);
    if (pfamily) {
      const one = new BlockList();
      one.addAddress(phost, pfamily);
      ip.push((host, port, family) => family !== undefined && one.check(host, family) && (pport === '' || pport === port));
      continue;
    }
    if (phost.startsWith('*.')) phost = phost.slice(1);
    const matchHost = !phost.startsWith('.');
    const suffix = matchHost ? `.${phost}` : phost;
    domain.push((host, port) => (host.endsWith(suffix) || (matchHost && host === suffix.slice(1))) && (pport === '' || pport === port));
  }
  return { ip, domain };
}

/**
 * The proxy for a request to `target` (the API server's URL), or undefined
 * to connect directly. `target` may be an http(s) or ws(s) URL.
 */
export function proxyFromEnvironment(target: string | URL, env: ProxyEnv): URL | undefined {
  const url = typeof target === 'string' ? new URL(target) : target;
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  let proxy: URL | undefined;
  if (secure) proxy = parseProxyValue(firstSet(env, 'HTTPS_PROXY', 'https_proxy'));
  else if (url.protocol === 'http:' || url.protocol === 'ws:') {
    proxy = parseProxyValue(firstSet(env, 'HTTP_PROXY', 'http_proxy'));
    // Go refuses HTTP_PROXY in a CGI environment (golang.org/s/cgihttpproxy); connecting directly is the safe reading.
    if (proxy && (env.REQUEST_METHOD ?? '') !== '') return undefined;
  }
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (secure ? '443' : '80');
  if (host === 'localhost') return undefined;
  const ip = familyOf(host);
  if (ip && LOOPBACK.check(host, ip)) return undefined;
  const m = noProxyMatchers(firstSet(env, 'NO_PROXY', 'no_proxy'));
  if (ip && m.ip.some((f) => f(host, port, ip))) return undefined;
  if (m.domain.some((f) => f(host, port, ip))) return undefined;
  return proxy;
}
