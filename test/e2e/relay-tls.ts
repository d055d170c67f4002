import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { KUBECTL, KUBECONFIG } from './helpers.js';

/** A kubeconfig context's server and client credentials, for a test relay to reach the real API server as that user. */
export interface Creds {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  server: URL;
}

export function credsFor(context: string): Creds {
  const cfg = JSON.parse(execFileSync(KUBECTL, ['config', 'view', '--raw', '-o', 'json', '--kubeconfig', KUBECONFIG], { encoding: 'utf8' })) as {
    contexts: Array<{ name: string; context: { cluster: string; user: string } }>;
    clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data': string } }>;
    users: Array<{ name: string; user: { 'client-certificate-data': string; 'client-key-data': string } }>;
  };
  const ctx = cfg.contexts.find((c) => c.name === context)?.context;
  const cluster = cfg.clusters.find((c) => c.name === ctx?.cluster)?.cluster;
  const user = cfg.users.find((u) => u.name === ctx?.user)?.user;
  if (!ctx || !cluster || !user) throw new Error(`no context ${context} in ${KUBECONFIG}`);
  const b = (s: string) => Buffer.from(s, 'base64');
  return { ca: b(cluster['certificate-authority-data']), cert: b(user['client-certificate-data']), key: b(user['client-key-data']), server: new URL(cluster.server) };
}

/** A throwaway self-signed certificate for 127.0.0.1 (the relay's own side), in a new temporary directory. */
export function selfSigned(prefix: string): { dir: string; key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(`${tmpdir()}/${prefix}`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=127.0.0.1'], {
    stdio: 'ignore',
  });
  return { dir, key: readFileSync(`${dir}/key.pem`), cert: readFileSync(`${dir}/cert.pem`) };
}
