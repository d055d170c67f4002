import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { staticOptions } from '../../../src/kubeconfig/load.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('staticOptions (credentials read without client-node)', () => {
  const dir = mkdtempSync(`${tmpdir()}/dd-static-`);
  writeFileSync(`${dir}/ca.crt`, 'CA FILE');
  writeFileSync(`${dir}/c.crt`, 'CERT FILE');
  writeFileSync(`${dir}/c.key`, 'KEY FILE');

  it.each([
    {
      name: 'inline data',
      cluster: { 'certificate-authority-data': b64('CA') },
      user: { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') },
      want: { ca: 'CA', cert: 'CERT', key: 'KEY' },
    },
    {
      name: 'files',
      cluster: { 'certificate-authority': `${dir}/ca.crt` },
      user: { 'client-certificate': `${dir}/c.crt`, 'client-key': `${dir}/c.key` },
      want: { ca: 'CA FILE', cert: 'CERT FILE', key: 'KEY FILE' },
    },
    {
      name: 'data wins over files',
      cluster: { 'certificate-authority-data': b64('CA'), 'certificate-authority': `${dir}/ca.crt` },
      user: {},
      want: { ca: 'CA' },
    },
  ])('$name', async ({ cluster, user, want }) => {
    const o = await staticOptions(cluster, user);
    const text = (v: unknown) => (v === undefined ? undefined : String(v));
    const none: Record<string, string | undefined> = { ca: undefined, cert: undefined, key: undefined };
    expect({ ca: text(o.ca), cert: text(o.cert), key: text(o.key) }).toEqual({ ...none, ...want });
  });

  it('a bearer token becomes the Authorization header', async () => {
    expect((await staticOptions({}, { token: 'abc' })).headers).toEqual({ Authorization: 'Bearer abc' });
  });

  it('username and password become basic auth', async () => {
    expect((await staticOptions({}, { username: 'u', password: 'p' })).auth).toBe('u:p');
  });

  it('insecure-skip-tls-verify and tls-server-name', async () => {
    const o = await staticOptions({ 'insecure-skip-tls-verify': true, 'tls-server-name': 'api.internal' }, {});
    expect({ rejectUnauthorized: o.rejectUnauthorized, servername: o.servername }).toEqual({ rejectUnauthorized: false, servername: 'api.internal' });
  });

  it('a missing certificate file is an error (reported as a kubeconfig problem by the caller)', async () => {
    await expect(staticOptions({}, { 'client-certificate': `${dir}/nope.crt` }, { cluster: 'cluster "c"', user: 'user "u"' })).rejects.toThrow(
      `cannot read the client-certificate file ${dir}/nope.crt of user "u" (file not found); fix the path in that entry`,
    );
  });
});
