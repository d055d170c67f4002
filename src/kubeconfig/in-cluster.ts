/**
 * In-cluster configuration, as client-go's rest.InClusterConfig and
 * kubectl's loading rules have it: used only when no kubeconfig gives a
 * context and --server is not given, and only where
 * KUBERNETES_SERVICE_HOST/PORT are set and the ServiceAccount token file
 * exists. Server https://HOST:PORT, the token file (re-read as it rotates),
 * ca.crt when present, the namespace from POD_NAMESPACE or the namespace file.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { RawCluster, RawUser } from './merge.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * TEST ONLY: DISTROLESS_DEBUG_TEST_SA_DIR replaces the ServiceAccount
 * directory so unit tests can run outside a pod. Not a user setting.
 */
export function serviceAccountDir(env: NodeJS.ProcessEnv): string {
  return env.DISTROLESS_DEBUG_TEST_SA_DIR || SERVICE_ACCOUNT_DIR;
}

/** client-go's inClusterClientConfig.Possible(). */
export function inClusterPossible(env: NodeJS.ProcessEnv): boolean {
  if (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT) return false;
  try {
    return statSync(path.join(serviceAccountDir(env), 'token')).isFile();
  } catch {
    return false;
  }
}

export interface InClusterEntries {
  cluster: RawCluster;
  user: RawUser;
  namespace: string;
}

export function inClusterEntries(env: NodeJS.ProcessEnv): InClusterEntries {
  const dir = serviceAccountDir(env);
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '';
  const cluster: RawCluster = { server: `https://${host.includes(':') ? `[${host}]` : host}:${port}` };
  const ca = path.join(dir, 'ca.crt');
  // client-go logs and goes on without the CA when ca.crt is unreadable (the system roots then apply).
  if (existsSync(ca)) cluster['certificate-authority'] = ca;
  let namespace = env.POD_NAMESPACE || '';
  if (!namespace) {
    try {
      namespace = readFileSync(path.join(dir, 'namespace'), 'utf8').trim();
    } catch {
      namespace = '';
    }
  }
  return { cluster, user: { tokenFile: path.join(dir, 'token') }, namespace: namespace || 'default' };
}
