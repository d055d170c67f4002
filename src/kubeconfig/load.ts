/**
 * Turns kubectl-style flags + kubeconfig files into one cluster connection.
 * Merging/selection follow kubectl (merge.ts); credentials (exec plugins, OIDC,
 * client certs, proxy-url) are left to client-node, loaded lazily because
 * importing it costs hundreds of milliseconds.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { KubeConfig } from '@kubernetes/client-node';
import { MAX_TIMER_MS, parseDurationFlag } from '../duration.js';
import { ConfigError, DebugError, UsageError } from '../errors.js';
import type * as ExecCredential from './exec-credential.js';
import { inClusterEntries, inClusterPossible } from './in-cluster.js';
import { impersonationHeaders, overrideCluster, overrideUser, type ConnectionOverrides } from './overrides.js';
import { proxyFromEnvironment, parseProxyValue } from './proxy-env.js';
import { NOT_SIMPLE, parseSimpleYaml } from './simple-yaml.js';
import { proxyDisplay, TunnelAgent } from './tunnel-agent.js';
import {
  mergeKubeconfigs,
  parseKubeconfig,
  selectContext,
  splitKubeconfigEnv,
  type KubeconfigFile,
  type RawExecConfig,
  type RawCluster,
  type RawKubeconfig,
  type RawUser,
  type SelectedContext,
} from './merge.js';

export interface KubeconfigFlags extends ConnectionOverrides {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  requestTimeout?: string;
}

export interface ClusterConnection {
  /** e.g. https://127.0.0.1:6443, no trailing slash */
  server: string;
  namespace: string;
  contextName: string;
  clusterName: string;
  userName: string;
  /** The proxy every connection goes through (proxy-url, else HTTPS_PROXY/NO_PROXY), for messages. */
  proxy?: string;
  /** From --request-timeout; undefined means no timeout. */
  requestTimeoutMs: number | undefined;
  /**
   * TLS material, auth headers (incl. Impersonate-User / Impersonate-Group for
   * --as / --as-group) and an agent: without proxy-url, one keep-alive agent
   * shared by every call so consecutive API calls reuse the TLS connection.
   * Safe to call many times; exec plugins are re-run only when their token
   * expires (client-node's cache), and concurrent calls share one run.
   */
  requestOptions(): Promise<https.RequestOptions>;
  /** A TLS connection opened ahead for the first stream (src/session/head-start.ts), once. */
  takeSocket?: () => TLSSocket | undefined;
}

/**
 * kubectl's --request-timeout: a Go duration or bare seconds; "0" (or empty)
 * means none, and so does a negative Go duration ("-1s"), as in kubectl 1.34
 * (a negative bare number is refused, as there). kubectl takes any length; past the longest Node timer (24.8
 * days) the difference from "none" cannot matter, so it is capped there.
 */
export function parseRequestTimeout(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = parseDurationFlag(value, { flag: '--request-timeout', zero: 'no timeout', maxMs: Number.POSITIVE_INFINITY, negative: 'as-zero' });
  // Round up so that a tiny timeout never turns into "no timeout".
  return ms === 0 ? undefined : Math.min(Math.ceil(ms), MAX_TIMER_MS);
}

/** Copy of headers safe for -v logs. */
export function redactHeaders(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) {
    if (value === undefined || value === null) continue;
    const lower = name.toLowerCase();
    out[name] =
      lower.includes('authorization') || lower.includes('token')
        ? '<redacted>'
        : Array.isArray(value)
          ? value.map(String).join(', ')
          : String(value);
  }
  return out;
}

function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? 'no error message';
}

function readReason(err: unknown): string {
  switch (errnoCode(err)) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return firstLine(err);
  }
}

async function readKubeconfigTexts(flags: KubeconfigFlags, env: NodeJS.ProcessEnv): Promise<Array<{ path: string; text: string }>> {
  if (flags.kubeconfig) {
    const file = path.resolve(flags.kubeconfig);
    try {
      return [{ path: file, text: await readFile(file, 'utf8') }];
    } catch (err) {
      throw new ConfigError(`cannot read kubeconfig ${file} given by --kubeconfig (${readReason(err)}); check the path`, {
        cause: err,
      });
    }
  }

  const fromEnv = env.KUBECONFIG ? splitKubeconfigEnv(env.KUBECONFIG) : [];
  const candidates =
    fromEnv.length > 0
      ? fromEnv.map((p) => path.resolve(p))
      : [path.join(env.HOME || env.USERPROFILE || os.homedir(), '.kube', 'config')];
  const texts: Array<{ path: string; text: string }> = [];
  for (const file of candidates) {
    try {
      texts.push({ path: file, text: await readFile(file, 'utf8') });
    } catch (err) {
      // kubectl silently skips KUBECONFIG entries that do not exist.
      if (errnoCode(err) === 'ENOENT') continue;
      throw new ConfigError(`cannot read kubeconfig ${file} (${readReason(err)}); fix it or remove it from KUBECONFIG`, {
        cause: err,
      });
    }
  }
  return texts;
}

function noKubeconfig(flags: KubeconfigFlags, env: NodeJS.ProcessEnv): ConfigError {
  const fromEnv = env.KUBECONFIG ? splitKubeconfigEnv(env.KUBECONFIG) : [];
  const candidates = fromEnv.length > 0 ? fromEnv.map((p) => path.resolve(p)) : [path.join(env.HOME || env.USERPROFILE || os.homedir(), '.kube', 'config')];
  const where = flags.kubeconfig ? 'none' : fromEnv.length > 0 ? `none of the KUBECONFIG files exist (${candidates.join(', ')})` : `${candidates[0]} does not exist`;
  return new ConfigError(`no kubeconfig found: ${where}; set KUBECONFIG or pass --kubeconfig`);
}

async function parseFiles(texts: Array<{ path: string; text: string }>): Promise<KubeconfigFile[]> {
  const files: KubeconfigFile[] = [];
  for (const { path: file, text } of texts) {
    // js-yaml (loaded only when needed) for what the fast path does not take.
    let parsed: unknown = parseSimpleYaml(text);
    if (parsed === NOT_SIMPLE) {
      const { load } = await import('js-yaml');
      try {
        parsed = load(text);
      } catch (err) {
        throw new ConfigError(`cannot parse kubeconfig ${file}: ${firstLine(err)}; fix the YAML`, { cause: err });
      }
    }
    files.push({ path: file, config: parseKubeconfig(parsed, file) });
  }
  return files;
}

/** The user entry handed to client-node: impersonation, tokenFile and exec plugins are applied by us. */
function userForClientNode(user: RawUser): RawUser {
  const { as: _as, 'as-groups': _groups, 'as-uid': _uid, 'as-user-extra': _extra, tokenFile: _tokenFile, exec: _exec, ...rest } = user;
  return rest;
}

/** A file named in an entry that cannot be read: which entry and field, and what to fix. */
export class EntryFileError extends ConfigError {}

async function readEntryFile(file: string, field: string, entry: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new EntryFileError(`cannot read the ${field} file ${file} of ${entry} (${readReason(err)}); fix the path in that entry`, { cause: err });
  }
}

function credentialError(err: unknown, userName: string, contextName: string, exec: RawExecConfig | undefined): ConfigError {
  const who = `user "${userName}" (context "${contextName}")`;
  const details = (err instanceof Error ? err.message : String(err)).split('\n').filter((l) => l.trim() !== '');
  if (exec?.installHint) details.push(...exec.installHint.split('\n'));
  const syscall = (err as NodeJS.ErrnoException | undefined)?.syscall ?? '';
  let message: string;
  if (exec?.command && errnoCode(err) === 'ENOENT' && syscall.startsWith('spawn')) {
    message = `exec credential plugin "${exec.command}" for ${who} was not found; install it or fix PATH`;
  } else if (exec?.command) {
    message = `exec credential plugin "${exec.command}" for ${who} failed: ${firstLine(err)}; run it by hand to see why`;
  } else {
    message = `cannot load credentials for ${who}: ${firstLine(err)}; fix that user entry in kubeconfig`;
  }
  return new ConfigError(message, { cause: err, details });
}

function pemKey(v: unknown): string {
  if (v === undefined || v === null) return '';
  return Array.isArray(v) ? v.map(String).join('\n') : String(v);
}

async function clientNodeConfig(sel: SelectedContext, cluster: RawCluster, user: RawUser): Promise<KubeConfig> {
  const { KubeConfig: KubeConfigClass } = await import('@kubernetes/client-node');
  const kc: KubeConfig = new KubeConfigClass();
  const internalUserName = sel.userName || 'anonymous';
  try {
    kc.loadFromString(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: sel.clusterName, cluster }],
        users: [{ name: internalUserName, user: userForClientNode(user) }],
        contexts: [{ name: sel.contextName, context: { cluster: sel.clusterName, user: internalUserName } }],
        'current-context': sel.contextName,
      }),
    );
  } catch (err) {
    throw new ConfigError(`kubeconfig entries for context "${sel.contextName}" are invalid: ${firstLine(err)}; fix the kubeconfig`, {
      cause: err,
    });
  }
  return kc;
}

/** At least one PEM block that parses as an X.509 certificate. */
function hasCertificate(pem: Buffer): boolean {
  const blocks = pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.some((b) => {
    try {
      new X509Certificate(b);
      return true;
    } catch {
      return false;
    }
  });
}

export interface EntryNames {
  /** e.g. cluster "local" (context "admin"): who a file or a setting belongs to, for messages. */
  cluster: string;
  user: string;
}

/** TLS material and static credentials, as kubectl reads them (paths are absolute after merging). */
export async function staticOptions(
  cluster: RawCluster,
  user: RawUser,
  names: EntryNames = { cluster: 'the cluster entry', user: 'the user entry' },
): Promise<https.RequestOptions> {
  const opts: https.RequestOptions = {};
  const pem = async (data: string | undefined, file: string | undefined, field: string, entry: string): Promise<Buffer | undefined> =>
    data ? Buffer.from(data, 'base64') : file ? readEntryFile(file, field, entry) : undefined;
  const ca = await pem(cluster['certificate-authority-data'], cluster['certificate-authority'], 'certificate-authority', names.cluster);
  if (ca) {
    // OpenSSL silently ignores what is not a certificate, and every connection then fails as "not trusted":
    // say what is wrong instead (kubectl: "unable to load root certificates").
    const field = cluster['certificate-authority-data'] ? 'certificate-authority-data' : `certificate-authority file ${cluster['certificate-authority'] ?? ''}`;
    if (ca.includes('-----BEGIN') && !hasCertificate(ca)) throw new ConfigError(`the ${field} of ${names.cluster} holds no PEM certificate; fix that cluster entry`);
    opts.ca = ca;
  }
  if (cluster['insecure-skip-tls-verify']) opts.rejectUnauthorized = false;
  if (cluster['tls-server-name']) opts.servername = cluster['tls-server-name'];
  const cert = await pem(user['client-certificate-data'], user['client-certificate'], 'client-certificate', names.user);
  const key = await pem(user['client-key-data'], user['client-key'], 'client-key', names.user);
  if (cert) opts.cert = cert;
  if (key) opts.key = key;
  if (user.token) opts.headers = { Authorization: `Bearer ${user.token}` };
  else if (user.username !== undefined && user.password !== undefined) opts.auth = `${user.username}:${user.password}`;
  return opts;
}

/** The kubeconfig kubectl would see: --kubeconfig, else every KUBECONFIG file, else ~/.kube/config, merged. */
export async function readMergedKubeconfig(flags: KubeconfigFlags, env: NodeJS.ProcessEnv = process.env): Promise<RawKubeconfig> {
  const texts = await readKubeconfigTexts(flags, env);
  if (texts.length === 0) throw noKubeconfig(flags, env);
  return mergeKubeconfigs(await parseFiles(texts));
}

/** The entries a run connects with, after kubectl's loading rules and the connection flags. */
interface Selected {
  sel: SelectedContext;
  cluster: RawCluster;
  user: RawUser;
  inCluster: boolean;
}

async function selectEntries(flags: KubeconfigFlags, env: NodeJS.ProcessEnv): Promise<Selected> {
  const texts = await readKubeconfigTexts(flags, env);
  const merged = mergeKubeconfigs(await parseFiles(texts));
  const hasContext = Boolean(flags.context || merged['current-context']);
  if (!hasContext && !flags.server && !flags.cluster) {
    // kubectl's deferred loading: a kubeconfig that gives nothing to connect to falls back to in-cluster.
    if (inClusterPossible(env)) {
      const ic = inClusterEntries(env);
      return {
        sel: { contextName: 'in-cluster', clusterName: 'in-cluster', userName: 'service account', namespace: flags.namespace || ic.namespace },
        cluster: overrideCluster(ic.cluster, flags),
        user: overrideUser(ic.user, flags),
        inCluster: true,
      };
    }
    if (texts.length === 0) throw noKubeconfig(flags, env);
  }
  let sel: SelectedContext;
  if (!hasContext && (flags.server || flags.cluster)) {
    // --server (or --cluster) without a context: kubectl connects with the flags and the named entries alone.
    const clusterName = flags.cluster ?? '';
    const userName = flags.user ?? '';
    if (clusterName && !merged.clusters?.some((c) => c.name === clusterName)) throw new ConfigError(`cluster "${clusterName}" not found in kubeconfig`);
    if (userName && !merged.users?.some((u) => u.name === userName)) throw new ConfigError(`user "${userName}" not found in kubeconfig`);
    sel = { contextName: '', clusterName, userName, namespace: flags.namespace || 'default' };
  } else {
    sel = selectContext(merged, flags);
  }
  const cluster = (sel.clusterName ? merged.clusters?.find((c) => c.name === sel.clusterName)?.cluster : undefined) ?? {};
  const user: RawUser = (sel.userName ? merged.users?.find((u) => u.name === sel.userName)?.user : undefined) ?? {};
  return { sel, cluster: overrideCluster(cluster, flags), user: overrideUser(user, flags), inCluster: false };
}

/** How messages name the entries: cluster "local" (context "admin"). */
function entryNames(s: Selected): EntryNames {
  if (s.inCluster) return { cluster: 'the in-cluster configuration', user: 'the in-cluster service account' };
  const ctx = s.sel.contextName ? ` (context "${s.sel.contextName}")` : '';
  return {
    cluster: s.sel.clusterName ? `cluster "${s.sel.clusterName}"${ctx}` : 'the --server flags',
    user: s.sel.userName ? `user "${s.sel.userName}"${ctx}` : 'the user flags',
  };
}

export async function loadConnection(
  flags: KubeconfigFlags,
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = () => {},
): Promise<ClusterConnection> {
  const requestTimeoutMs = parseRequestTimeout(flags.requestTimeout);
  const selected = await selectEntries(flags, env);
  const { sel, cluster, user } = selected;
  const names = entryNames(selected);
  if (selected.inCluster) log(`using the in-cluster configuration (server ${cluster.server ?? ''}, namespace ${sel.namespace})`);

  const server = (cluster.server ?? '').replace(/\/+$/, '');
  if (!server) {
    throw new ConfigError(`cluster "${sel.clusterName}" has no server in kubeconfig; add one or pick another context with --context`);
  }
  if (flags.asGroups?.length && !user.as) {
    throw new UsageError('--as-group needs a user to impersonate; pass --as USER too');
  }
  if (flags.asUid && !user.as) {
    throw new UsageError('--as-uid needs a user to impersonate; pass --as USER too');
  }
  if (!user.as && (user['as-groups']?.length || user['as-uid'] || Object.keys(user['as-user-extra'] ?? {}).length)) {
    // kubectl refuses it too ("requesting uid, groups or user-extra ... without impersonating a user").
    throw new ConfigError(`${names.user} sets as-groups, as-uid or as-user-extra without as: nobody to impersonate; add as: USER to that entry or pass --as`);
  }
  if ((user.username !== undefined || user.password !== undefined) && (user.token || user.tokenFile)) {
    // client-go refuses the mix ("username/password or bearer token may be set, but not both").
    throw new ConfigError(`${names.user} has both a bearer token and a username/password; use one of them`);
  }
  if ((user['client-certificate'] && user['client-certificate-data']) || (user['client-key'] && user['client-key-data'])) {
    // clientcmd's validation refuses both forms at once ("client-cert-data and client-cert are both specified").
    throw new ConfigError(`${names.user} has a client certificate (or key) both as a file and as data; drop --client-certificate/--client-key or use a user without embedded data`);
  }
  let proxy: URL | undefined;
  let socksProxy = false;
  const proxyUrl = cluster['proxy-url'];
  if (proxyUrl) {
    // kubeconfig proxy-url beats the environment, as in client-go.
    const parsed = parseProxyValue(proxyUrl);
    if (parsed && (parsed.protocol === 'http:' || parsed.protocol === 'https:')) proxy = parsed;
    else if (parsed && parsed.protocol === 'socks5:') socksProxy = true;
    else throw new ConfigError(`proxy-url "${proxyUrl}" of ${names.cluster} is not an http, https or socks5 URL; fix it in kubeconfig`);
  } else {
    proxy = proxyFromEnvironment(server, env);
  }
  if (proxy) log(`connections go through the proxy ${proxyDisplay(proxy)} (${proxyUrl ? 'proxy-url' : 'HTTPS_PROXY'})`);

  // client-node costs about half a second to load (it pulls in the whole
  // generated API), so it is used only for what needs it: auth providers
  // (OIDC...) and proxy-url. Certificates, tokens, basic auth and exec
  // credential plugins (exec-credential.ts: with a time limit, no orphans)
  // are handled here directly.
  const needsClientNode = Boolean(user['auth-provider'] || socksProxy);
  const kc = needsClientNode ? await clientNodeConfig(sel, cluster, user) : undefined;
  let execCredential: ReturnType<typeof ExecCredential.execCredentialSource> | undefined;
  if (user.exec) {
    // Loaded only for users with a plugin: it brings node:child_process (a few ms at every TAB otherwise).
    const { DEFAULT_PLUGIN_TIMEOUT_MS, execCredentialSource } = await import('./exec-credential.js');
    execCredential = execCredentialSource({
      exec: user.exec,
      cluster,
      who: `user "${sel.userName}" (context "${sel.contextName}")`,
      timeoutMs: requestTimeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS,
      timeoutSource: requestTimeoutMs !== undefined ? '--request-timeout' : 'the default for credential plugins',
      env,
    });
  }
  // Start the plugin now: every request needs its credential, and a request's
  // own deadline must not start counting while the plugin still runs (the
  // plugin has its own limit, and its own message).
  if (execCredential) void execCredential().catch(() => undefined);

  const proxied = socksProxy;
  const plainHttp = server.startsWith('http:');
  // Static credentials are built once; exec/OIDC/tokenFile ones are rebuilt per call (client-node caches tokens).
  const dynamic = Boolean(user.exec || user['auth-provider'] || user.tokenFile);
  let pending: Promise<https.RequestOptions> | undefined;
  let shared: { agent: http.Agent; tls: string } | undefined;

  async function build(): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = {};
    const headers: Record<string, string | string[]> = {};
    try {
      if (kc) await kc.applyToHTTPSOptions(opts);
      else Object.assign(opts, await staticOptions(cluster, user, names));
      if (execCredential) {
        // client-go: a plugin's credential replaces the static ones.
        const cred = await execCredential();
        if (cred.token) opts.headers = { ...opts.headers, Authorization: `Bearer ${cred.token}` };
        if (cred.clientCertificateData && cred.clientKeyData) {
          opts.cert = cred.clientCertificateData;
          opts.key = cred.clientKeyData;
        }
      }
      if (user.tokenFile && !user.exec && !user['auth-provider']) {
        // client-go re-reads tokenFile (it rotates) and prefers it over token.
        headers.Authorization = `Bearer ${(await readEntryFile(user.tokenFile, 'tokenFile', names.user)).toString('utf8').trim()}`;
      }
    } catch (err) {
      if (err instanceof DebugError) throw err;
      const file = (err as NodeJS.ErrnoException | undefined)?.path;
      if (typeof file === 'string' && errnoCode(err)) {
        // certificate-authority, client-certificate, client-key or tokenFile: name the file, not "credentials".
        throw new ConfigError(`cannot read ${file}, named in kubeconfig for ${names.cluster} (${readReason(err)}); fix the path`, { cause: err });
      }
      throw credentialError(err, sel.userName, sel.contextName, user.exec);
    }
    for (const [name, value] of Object.entries(opts.headers ?? {})) {
      if (value !== undefined && !(name === 'Authorization' && headers.Authorization)) {
        headers[name] = Array.isArray(value) ? value.map(String) : String(value);
      }
    }
    if (opts.auth) {
      // Basic auth as a header so that every consumer (https, ws) sends it and -v logs redact it.
      headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
      delete opts.auth;
    }
    // Several groups (or extra values) must be several header lines, hence arrays.
    Object.assign(headers, impersonationHeaders(user));
    opts.headers = headers;
    return opts;
  }

  function base(): Promise<https.RequestOptions> {
    if (!pending) {
      const p = build();
      pending = p;
      const clear = (): void => {
        if (pending === p) pending = undefined;
      };
      p.then(() => {
        if (dynamic) clear();
      }, clear);
    }
    return pending;
  }

  function keepAliveAgent(opts: https.RequestOptions): http.Agent {
    // A plugin may rotate client certificates; a new certificate needs a new pool.
    // The old agent is not destroyed: streams may still be using it, and its idle sockets are unref'd.
    const tls = [opts.ca, opts.cert, opts.key].map(pemKey).join('\0');
    if (shared?.tls === tls) return shared.agent;
    let agent: http.Agent;
    if (proxy) {
      const agentOpts: ConstructorParameters<typeof TunnelAgent>[1] = { keepAlive: true, secure: !plainHttp, onTunnel: log };
      if (opts.ca !== undefined) agentOpts.ca = opts.ca;
      if (opts.cert !== undefined) agentOpts.cert = opts.cert;
      if (opts.key !== undefined) agentOpts.key = opts.key;
      if (opts.rejectUnauthorized !== undefined) agentOpts.rejectUnauthorized = opts.rejectUnauthorized;
      if (opts.servername !== undefined) agentOpts.servername = opts.servername;
      agent = new TunnelAgent(proxy, agentOpts);
    } else if (plainHttp) {
      agent = new http.Agent({ keepAlive: true });
    } else {
      const agentOpts: https.AgentOptions = { keepAlive: true };
      if (opts.ca !== undefined) agentOpts.ca = opts.ca;
      if (opts.cert !== undefined) agentOpts.cert = opts.cert;
      if (opts.key !== undefined) agentOpts.key = opts.key;
      if (opts.rejectUnauthorized !== undefined) agentOpts.rejectUnauthorized = opts.rejectUnauthorized;
      if (opts.servername !== undefined) agentOpts.servername = opts.servername;
      agent = new https.Agent(agentOpts);
    }
    shared = { agent, tls };
    return agent;
  }

  return {
    server,
    namespace: sel.namespace,
    contextName: sel.contextName,
    clusterName: sel.clusterName,
    userName: sel.userName,
    ...(proxy ? { proxy: proxyDisplay(proxy) } : {}),
    requestTimeoutMs,
    async requestOptions() {
      const b = await base();
      const opts: https.RequestOptions = { ...b, headers: { ...b.headers } };
      // With a socks5 proxy-url keep client-node's proxy agent.
      if (!proxied) opts.agent = keepAliveAgent(b);
      return opts;
    },
  };
}
