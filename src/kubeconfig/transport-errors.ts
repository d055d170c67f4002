/**
 * Failures that mean "your kubeconfig's credentials or certificate authority
 * are wrong", told apart from "the cluster is down": they need a different
 * next step (refresh credentials, fix the CA), and they are kubeconfig
 * problems (exit 65), not API errors.
 */
import { ApiError, ConfigError, DebugError, ForbiddenError } from '../errors.js';

export interface ConnectionNames {
  server: string;
  contextName: string;
  /** Optional for callers that know only the context. */
  clusterName?: string;
  userName: string;
  /** The proxy connections go through, if any. */
  proxy?: string;
}

/** cluster "local" (context "admin"), or the context alone when the cluster entry is unnamed. */
export function clusterEntry(conn: ConnectionNames): string {
  if (conn.contextName === 'in-cluster') return 'the in-cluster configuration (ca.crt of the service account)';
  const ctx = conn.contextName ? ` (context "${conn.contextName}")` : '';
  return conn.clusterName ? `cluster "${conn.clusterName}"${ctx}` : conn.contextName ? `the cluster of context "${conn.contextName}"` : 'the --server/--certificate-authority flags';
}

/** A 401 from the API server: the credentials were not accepted. */
export function unauthorizedError(conn: ConnectionNames, cause?: unknown): ConfigError {
  const who = conn.userName ? `user "${conn.userName}"` : 'the anonymous user';
  return new ConfigError(
    `the API server at ${conn.server} did not accept the credentials of ${who} (context "${conn.contextName}"): 401 Unauthorized; refresh your credentials (log in again, or renew the token or client certificate in kubeconfig)`,
    cause === undefined ? {} : { cause },
  );
}

/** Node's codes for a server certificate that does not chain to the configured CA. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_REJECTED',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/**
 * A failed connection, as one line with the next step. TLS trust problems
 * are kubeconfig problems; anything else means the server could not be
 * reached.
 */
export function connectionError(conn: ConnectionNames, err: NodeJS.ErrnoException): DebugError {
  // Already a message with a next step (e.g. the proxy refused the tunnel).
  if (err instanceof DebugError) return err;
  const code = err.code ?? '';
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return new ConfigError(
      `the server at ${conn.server} did not answer with TLS (${code}): no certificate to check; the address in ${clusterEntry(conn)} may be an http port, fix server there`,
      { cause: err },
    );
  }
  if (UNTRUSTED.has(code)) {
    return new ConfigError(
      `the API server's certificate at ${conn.server} is not trusted (${code}): its certificate chain does not lead to the certificate authority of ${clusterEntry(conn)}; fix certificate-authority-data (or certificate-authority) of that cluster entry`,
      { cause: err },
    );
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new ConfigError(
      `the API server's certificate at ${conn.server} is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not yet valid'} (${code}); check the clock, or ask the cluster's admin to renew it`,
      { cause: err },
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new ConfigError(
      `the API server's certificate at ${conn.server} is not valid for the name it was reached by (${code}); use a server address the certificate names, or fix tls-server-name of ${clusterEntry(conn)}`,
      { cause: err },
    );
  }
  if (/CERT|ISSUER|SIGNATURE/.test(code)) {
    return new ConfigError(
      `the API server's certificate at ${conn.server} was not accepted (${code}); check the certificate-authority and tls-server-name of ${clusterEntry(conn)}`,
      { cause: err },
    );
  }
  return new ApiError(
    `cannot reach the API server at ${conn.server} (${code || err.message})${conn.proxy ? ` through the proxy ${conn.proxy}` : ''}; check that the cluster is up and the context is right`,
    { cause: err },
  );
}

/**
 * A 403 for impersonation (--as/--as-group, or as: in kubeconfig) is about
 * the flag, not about the resource that was asked for.
 */
export function impersonationError(statusMessage: string, cause?: unknown): ForbiddenError | undefined {
  if (!/cannot impersonate/i.test(statusMessage)) return undefined;
  return new ForbiddenError(
    `not allowed to impersonate (--as/--as-group): ${statusMessage.replace(/\s+/g, ' ').trim()}; drop --as/--as-group, or ask your cluster admin for the "impersonate" verb`,
    cause === undefined ? {} : { cause },
  );
}
