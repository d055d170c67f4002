import { describe, expect, it } from 'vitest';
import { ApiError, ConfigError, ForbiddenError } from '../../../src/errors.js';
import { connectionError, impersonationError, unauthorizedError } from '../../../src/kubeconfig/transport-errors.js';

const conn = { server: 'https://k:6443', contextName: 'prod', userName: 'jane' };
const errno = (code: string) => Object.assign(new Error(code), { code });

describe('transport errors', () => {
  it('401: a kubeconfig problem with the next step', () => {
    const e = unauthorizedError(conn);
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe(
      'the API server at https://k:6443 did not accept the credentials of user "jane" (context "prod"): 401 Unauthorized; refresh your credentials (log in again, or renew the token or client certificate in kubeconfig)',
    );
    expect(unauthorizedError({ ...conn, userName: '' }).message).toContain('of the anonymous user');
  });
  it.each(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'])(
    '%s: the certificate is not trusted, not "is the cluster up"',
    (code) => {
      const e = connectionError(conn, errno(code));
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.message).toMatch(/is not trusted .*fix certificate-authority-data/);
      expect(e.message).not.toMatch(/cluster is up/);
    },
  );
  it('expired and wrong-name certificates', () => {
    expect(connectionError(conn, errno('CERT_HAS_EXPIRED')).message).toMatch(/is expired \(CERT_HAS_EXPIRED\)/);
    expect(connectionError(conn, errno('ERR_TLS_CERT_ALTNAME_INVALID')).message).toMatch(/not valid for the name it was reached by/);
  });
  it('a refused connection is an API error: check the cluster', () => {
    const e = connectionError(conn, errno('ECONNREFUSED'));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.message).toBe('cannot reach the API server at https://k:6443 (ECONNREFUSED); check that the cluster is up and the context is right');
  });
  it('impersonation refusals only', () => {
    const e = impersonationError('users "x" is forbidden: User "dd-debugger" cannot impersonate resource "users" in API group "" at the cluster scope');
    expect(e).toBeInstanceOf(ForbiddenError);
    expect(e?.message).toMatch(/^not allowed to impersonate \(--as\/--as-group\): users "x" is forbidden/);
    expect(impersonationError('pods is forbidden: User "u" cannot get resource "pods"')).toBeUndefined();
  });
});
