/**
 * kubectl's connection flags (--server, --token, --certificate-authority,
 * --client-certificate, --client-key, --insecure-skip-tls-verify,
 * --tls-server-name, --username, --password, --as, --as-group, --as-uid)
 * applied over the selected kubeconfig entries the way client-go's
 * clientcmd does. Pure.
 */
import type { RawCluster, RawUser } from './merge.js';

export interface ConnectionOverrides {
  server?: string;
  token?: string;
  certificateAuthority?: string;
  clientCertificate?: string;
  clientKey?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  username?: string;
  password?: string;
  as?: string;
  asGroups?: string[];
  asUid?: string;
}

export function overrideCluster(cluster: RawCluster, o: ConnectionOverrides): RawCluster {
  const out: RawCluster = { ...cluster };
  if (o.server) out.server = o.server;
  // clientcmd: --insecure-skip-tls-verify or a --certificate-authority replaces the whole trust setting
  // (kubeconfig CA data included), so a CA in kubeconfig cannot clash with the flag.
  if (o.insecureSkipTlsVerify || o.certificateAuthority) {
    delete out['certificate-authority-data'];
    delete out['certificate-authority'];
    delete out['insecure-skip-tls-verify'];
    if (o.insecureSkipTlsVerify) out['insecure-skip-tls-verify'] = true;
    if (o.certificateAuthority) out['certificate-authority'] = o.certificateAuthority;
  }
  // clientcmd: --tls-server-name, or a --server without it, replaces kubeconfig's tls-server-name.
  if (o.tlsServerName || o.server) {
    delete out['tls-server-name'];
    if (o.tlsServerName) out['tls-server-name'] = o.tlsServerName;
  }
  return out;
}

export function overrideUser(user: RawUser, o: ConnectionOverrides): RawUser {
  const out: RawUser = { ...user };
  if (o.token) {
    // The flag replaces the entry's token source, tokenFile included (clientcmd sets both from the flags).
    out.token = o.token;
    delete out.tokenFile;
  }
  if (o.clientCertificate) out['client-certificate'] = o.clientCertificate;
  if (o.clientKey) out['client-key'] = o.clientKey;
  if (o.username) out.username = o.username;
  if (o.password) out.password = o.password;
  if (o.as) out.as = o.as;
  if (o.asGroups && o.asGroups.length > 0) out['as-groups'] = [...o.asGroups];
  if (o.asUid) out['as-uid'] = o.asUid;
  return out;
}

/** Percent-encodes what may not stand in a header name, and "%" itself (client-go's headerKeyEscape). */
export function escapeExtraKey(key: string): string {
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && /[!#$&'*+\-.^_`|~0-9A-Za-z]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The impersonation headers client-go sends on every request (REST and the
 * stream upgrade): Impersonate-User, Impersonate-Uid, one Impersonate-Group
 * line per group and one Impersonate-Extra-<key> line per value. client-go
 * impersonates only when a user is named; a value that is an array becomes
 * one header line per element.
 */
export function impersonationHeaders(user: RawUser): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  if (!user.as) return headers;
  headers['Impersonate-User'] = user.as;
  if (user['as-uid']) headers['Impersonate-Uid'] = user['as-uid'];
  const groups = user['as-groups'] ?? [];
  if (groups.length > 0) headers['Impersonate-Group'] = [...groups];
  for (const [key, values] of Object.entries(user['as-user-extra'] ?? {})) {
    const list = (Array.isArray(values) ? values : [values]).map(String);
    if (list.length > 0) headers[`Impersonate-Extra-${escapeExtraKey(key)}`] = list;
  }
  return headers;
}
