import { parseDurationFlag } from '../duration.js';
import { UsageError } from '../errors.js';
import { parseRequestTimeout, type KubeconfigFlags } from '../kubeconfig/load.js';

/**
 * The flags every kubectl command takes (kubeconfig selection, the
 * connection overrides, impersonation, and the globals that cannot apply to
 * a plugin), turned into KubeconfigFlags the same way for a session and for
 * every subcommand.
 */

/** Value flags, by their kubectl names. */
export const KUBE_STRING_FLAGS = [
  'namespace', 'context', 'kubeconfig', 'cluster', 'user', 'as', 'as-group', 'request-timeout',
  // kubectl's global connection flags (same meaning as in kubectl)
  'server', 'token', 'certificate-authority', 'client-certificate', 'client-key', 'tls-server-name', 'as-uid',
  'username', 'password',
  // kubectl's global flags that cannot apply to a plugin: accepted, said once under -v
  'cache-dir', 'log-flush-frequency', 'vmodule', 'profile-output', 'kuberc',
] as const;
export const KUBE_BOOLEAN_FLAGS = ['insecure-skip-tls-verify', 'disable-compression', 'warnings-as-errors', 'match-server-version'] as const;
/** Short spellings of the value flags above. */
export const KUBE_SHORT: Readonly<Record<string, string>> = { n: 'namespace', s: 'server' };

/** The globals beyond kubeconfig selection and impersonation, kept by name until converted. */
export const KUBECTL_GLOBALS = [
  'server', 'token', 'certificate-authority', 'client-certificate', 'client-key', 'tls-server-name', 'as-uid', 'username', 'password',
  'cache-dir', 'log-flush-frequency', 'vmodule', 'profile-output', 'kuberc',
  ...KUBE_BOOLEAN_FLAGS,
] as const;

const INAPPLICABLE: Readonly<Record<string, string>> = {
  'cache-dir': 'the plugin keeps no discovery or HTTP cache',
  'disable-compression': 'the plugin never asks the API server for compressed responses',
  'match-server-version': "it compares kubectl's own version with the server's; the plugin checks what it needs (ephemeral containers) itself",
  'log-flush-frequency': 'the plugin has no buffered klog output',
  vmodule: 'the plugin has no per-file log levels; -v shows its details',
  'profile-output': "kubectl's profiling does not apply to the plugin",
  kuberc: "kuberc preferences apply to kubectl's own commands, not to plugins",
};

/** What the parsers hand over: kubeconfig selection by field, the rest by kubectl name. */
export interface KubeRaw {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  cluster?: string | undefined;
  user?: string | undefined;
  namespace?: string | undefined;
  as?: string | undefined;
  asGroup?: string[] | undefined;
  requestTimeout?: string | undefined;
  kubectlFlags?: Record<string, string | boolean> | undefined;
}

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function checkNamespace(ns: string | undefined): void {
  if (ns === undefined || (ns.length <= 63 && LABEL.test(ns))) return;
  throw new UsageError(
    `-n/--namespace "${ns}" cannot be a namespace: namespaces are at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit`,
  );
}

/** Validates and converts; `notes` are said once under -v (flags accepted that cannot apply). */
export function kubeconfigFlags(raw: KubeRaw): { kube: KubeconfigFlags; notes: string[]; warningsAsErrors: boolean } {
  checkNamespace(raw.namespace);
  // Checked here so that a bad value fails before anything else; the connection parses it again.
  if (raw.requestTimeout !== undefined) parseRequestTimeout(raw.requestTimeout);
  const kube: KubeconfigFlags = {};
  if (raw.kubeconfig !== undefined) kube.kubeconfig = raw.kubeconfig;
  if (raw.context !== undefined) kube.context = raw.context;
  if (raw.cluster !== undefined) kube.cluster = raw.cluster;
  if (raw.user !== undefined) kube.user = raw.user;
  if (raw.namespace !== undefined) kube.namespace = raw.namespace;
  if (raw.as !== undefined) kube.as = raw.as;
  if (raw.asGroup !== undefined && raw.asGroup.length > 0) kube.asGroups = raw.asGroup;
  if (raw.requestTimeout !== undefined) kube.requestTimeout = raw.requestTimeout;
  const notes: string[] = [];
  const k = raw.kubectlFlags ?? {};
  const str = (name: string): string | undefined => (typeof k[name] === 'string' ? (k[name] as string) : undefined);
  if (str('server') !== undefined) kube.server = str('server') as string;
  if (str('token') !== undefined) kube.token = str('token') as string;
  if (str('certificate-authority') !== undefined) kube.certificateAuthority = str('certificate-authority') as string;
  if (str('client-certificate') !== undefined) kube.clientCertificate = str('client-certificate') as string;
  if (str('client-key') !== undefined) kube.clientKey = str('client-key') as string;
  if (str('tls-server-name') !== undefined) kube.tlsServerName = str('tls-server-name') as string;
  if (str('as-uid') !== undefined) kube.asUid = str('as-uid') as string;
  if (str('username') !== undefined) kube.username = str('username') as string;
  if (str('password') !== undefined) kube.password = str('password') as string;
  if (k['insecure-skip-tls-verify'] === true) kube.insecureSkipTlsVerify = true;
  if (kube.insecureSkipTlsVerify && kube.certificateAuthority) {
    // client-go refuses the pair ("specifying a root certificates file with the insecure flag is not allowed").
    throw new UsageError('--insecure-skip-tls-verify and --certificate-authority cannot be used together; pick one');
  }
  if (str('log-flush-frequency') !== undefined) parseDurationFlag(str('log-flush-frequency') as string, { flag: '--log-flush-frequency', zero: 'never' });
  for (const [name, why] of Object.entries(INAPPLICABLE)) {
    if (k[name] !== undefined) notes.push(`--${name} is accepted for kubectl compatibility and has no effect: ${why}`);
  }
  return { kube, notes, warningsAsErrors: k['warnings-as-errors'] === true };
}
