/**
 * kubectl's kubeconfig rules, without I/O: parse the raw YAML shape, merge the
 * KUBECONFIG files, pick the context. client-node's own loader throws on
 * duplicate names and lets the last file's current-context win, so we do it.
 */
import * as path from 'node:path';
import { ConfigError } from '../errors.js';

export interface RawExecEnvVar {
  name: string;
  value: string;
}

export interface RawExecConfig {
  apiVersion?: string;
  command?: string;
  args?: string[] | null;
  env?: RawExecEnvVar[] | null;
  installHint?: string;
  interactiveMode?: string;
  provideClusterInfo?: boolean;
  [key: string]: unknown;
}

export interface RawAuthProvider {
  name: string;
  config?: Record<string, string>;
}

export interface RawCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
  [key: string]: unknown;
}

export interface RawUser {
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  as?: string;
  'as-groups'?: string[];
  'as-uid'?: string;
  'as-user-extra'?: Record<string, string[]>;
  exec?: RawExecConfig;
  'auth-provider'?: RawAuthProvider;
  [key: string]: unknown;
}

export interface RawContext {
  cluster?: string;
  user?: string;
  namespace?: string;
  [key: string]: unknown;
}

export interface NamedCluster {
  name: string;
  cluster: RawCluster;
}
export interface NamedUser {
  name: string;
  user: RawUser;
}
export interface NamedContext {
  name: string;
  context: RawContext;
}

export interface RawKubeconfig {
  apiVersion?: string;
  kind?: string;
  clusters?: NamedCluster[];
  users?: NamedUser[];
  contexts?: NamedContext[];
  'current-context'?: string;
  preferences?: unknown;
}

export interface KubeconfigFile {
  path: string;
  config: RawKubeconfig;
}

export interface ContextOverrides {
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
}

export interface SelectedContext {
  contextName: string;
  clusterName: string;
  userName: string;
  namespace: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks the parsed YAML of one file is kubeconfig-shaped (fields we read have the right types). */
export function parseKubeconfig(value: unknown, file: string): RawKubeconfig {
  const bad = (what: string): ConfigError =>
    new ConfigError(`kubeconfig ${file} is malformed: ${what}; fix the file or point KUBECONFIG/--kubeconfig elsewhere`);
  if (value === null || value === undefined) return {};
  if (!isObj(value)) throw bad('the top level is not a mapping');

  const list = <T>(key: 'clusters' | 'users' | 'contexts', inner: string, strings: string[]): T[] => {
    const items = value[key];
    if (items === null || items === undefined) return [];
    if (!Array.isArray(items)) throw bad(`"${key}" is not a list`);
    return items.map((item: unknown, i) => {
      if (!isObj(item) || typeof item.name !== 'string' || item.name === '') throw bad(`${key}[${i}] has no name`);
      const body = item[inner] ?? {};
      if (!isObj(body)) throw bad(`${key}[${i}].${inner} is not a mapping`);
      for (const s of strings) {
        if (body[s] !== undefined && body[s] !== null && typeof body[s] !== 'string') {
          throw bad(`${key}[${i}].${inner}.${s} is not a string`);
        }
      }
      return { name: item.name, [inner]: body } as T;
    });
  };

  const current = value['current-context'];
  const out: RawKubeconfig = {
    clusters: list<NamedCluster>('clusters', 'cluster', ['server', 'certificate-authority', 'proxy-url']),
    users: list<NamedUser>('users', 'user', ['client-certificate', 'client-key', 'token', 'tokenFile']),
    contexts: list<NamedContext>('contexts', 'context', ['cluster', 'user', 'namespace']),
  };
  if (typeof current === 'string') out['current-context'] = current;
  return out;
}

function absolute(dir: string, p: string | undefined): string | undefined {
  return p === undefined || p === '' || path.isAbsolute(p) ? p : path.resolve(dir, p);
}

function resolveCluster(dir: string, c: RawCluster): RawCluster {
  const ca = absolute(dir, c['certificate-authority']);
  return ca === undefined ? { ...c } : { ...c, 'certificate-authority': ca };
}

function resolveUser(dir: string, u: RawUser): RawUser {
  const out: RawUser = { ...u };
  for (const key of ['client-certificate', 'client-key', 'tokenFile'] as const) {
    const p = absolute(dir, u[key]);
    if (p !== undefined) out[key] = p;
  }
  // kubectl only resolves a command that is a path; a bare name is looked up in PATH.
  const cmd = u.exec?.command;
  if (u.exec && cmd !== undefined && cmd.includes('/')) out.exec = { ...u.exec, command: absolute(dir, cmd) };
  return out;
}

/** Merges files in KUBECONFIG order: first occurrence of a name wins, first non-empty current-context wins. */
export function mergeKubeconfigs(files: KubeconfigFile[]): RawKubeconfig {
  const clusters = new Map<string, NamedCluster>();
  const users = new Map<string, NamedUser>();
  const contexts = new Map<string, NamedContext>();
  let current: string | undefined;

  for (const { path: file, config } of files) {
    const dir = path.dirname(path.resolve(file));
    for (const c of config.clusters ?? []) {
      if (!clusters.has(c.name)) clusters.set(c.name, { name: c.name, cluster: resolveCluster(dir, c.cluster) });
    }
    for (const u of config.users ?? []) {
      if (!users.has(u.name)) users.set(u.name, { name: u.name, user: resolveUser(dir, u.user) });
    }
    for (const c of config.contexts ?? []) {
      if (!contexts.has(c.name)) contexts.set(c.name, { name: c.name, context: { ...c.context } });
    }
    if (current === undefined && config['current-context']) current = config['current-context'];
  }

  const merged: RawKubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [...clusters.values()],
    users: [...users.values()],
    contexts: [...contexts.values()],
  };
  if (current !== undefined) merged['current-context'] = current;
  return merged;
}

/** Splits a KUBECONFIG value the way kubectl does: empty entries and repeats are dropped. */
export function splitKubeconfigEnv(value: string): string[] {
  return [...new Set(value.split(path.delimiter).filter((p) => p !== ''))];
}

function available(names: string[]): string {
  return names.length > 0 ? names.join(', ') : '(none)';
}

/** Applies --context/--cluster/--user/--namespace to the merged config. */
export function selectContext(merged: RawKubeconfig, overrides: ContextOverrides): SelectedContext {
  const contexts = merged.contexts ?? [];
  const clusterNames = (merged.clusters ?? []).map((c) => c.name);
  const userNames = (merged.users ?? []).map((u) => u.name);
  const contextNames = contexts.map((c) => c.name);

  let contextName: string;
  if (overrides.context) {
    contextName = overrides.context;
    if (!contextNames.includes(contextName)) {
      throw new ConfigError(`context "${contextName}" not found in kubeconfig; available: ${available(contextNames)}`);
    }
  } else {
    const current = merged['current-context'];
    if (!current) {
      throw new ConfigError(
        'no current context in kubeconfig; pass --context NAME or run `kubectl config use-context NAME`',
      );
    }
    contextName = current;
    if (!contextNames.includes(contextName)) {
      throw new ConfigError(
        `current context "${contextName}" not found in kubeconfig; pass --context (available: ${available(contextNames)}) or run \`kubectl config use-context NAME\``,
      );
    }
  }
  const context = contexts.find((c) => c.name === contextName)?.context ?? {};

  let clusterName: string;
  if (overrides.cluster) {
    clusterName = overrides.cluster;
    if (!clusterNames.includes(clusterName)) {
      throw new ConfigError(`cluster "${clusterName}" not found in kubeconfig; available: ${available(clusterNames)}`);
    }
  } else {
    clusterName = context.cluster ?? '';
    if (!clusterName) {
      throw new ConfigError(`context "${contextName}" names no cluster; pass --cluster NAME or fix the kubeconfig`);
    }
    if (!clusterNames.includes(clusterName)) {
      throw new ConfigError(
        `context "${contextName}" uses cluster "${clusterName}", which is not in kubeconfig; pass --cluster (available: ${available(clusterNames)}) or fix the kubeconfig`,
      );
    }
  }

  let userName: string;
  if (overrides.user) {
    userName = overrides.user;
    if (!userNames.includes(userName)) {
      throw new ConfigError(`user "${userName}" not found in kubeconfig; available: ${available(userNames)}`);
    }
  } else {
    // An empty user is legal (anonymous), as in kubectl.
    userName = context.user ?? '';
    if (userName && !userNames.includes(userName)) {
      throw new ConfigError(
        `context "${contextName}" uses user "${userName}", which is not in kubeconfig; pass --user (available: ${available(userNames)}) or fix the kubeconfig`,
      );
    }
  }

  const namespace = overrides.namespace || context.namespace || 'default';
  return { contextName, clusterName, userName, namespace };
}
