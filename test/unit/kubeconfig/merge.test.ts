import { describe, it, expect } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import {
  mergeKubeconfigs,
  parseKubeconfig,
  selectContext,
  splitKubeconfigEnv,
  type ContextOverrides,
  type RawKubeconfig,
} from '../../../src/kubeconfig/merge.js';

const fileA: RawKubeconfig = {
  clusters: [
    { name: 'prod', cluster: { server: 'https://a', 'certificate-authority': 'ca.crt' } },
    { name: 'dev', cluster: { server: 'https://a-dev' } },
  ],
  users: [
    { name: 'alice', user: { 'client-certificate': 'certs/alice.crt', 'client-key': '/abs/alice.key' } },
  ],
  contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'alice' } }],
};
const fileB: RawKubeconfig = {
  'current-context': 'staging',
  clusters: [
    { name: 'prod', cluster: { server: 'https://b' } },
    { name: 'staging', cluster: { server: 'https://b-staging' } },
  ],
  users: [
    { name: 'alice', user: { token: 'from-b' } },
    { name: 'bob', user: { tokenFile: '../tok', exec: { command: './bin/plugin', args: ['x'] } } },
    { name: 'carol', user: { exec: { command: 'aws', args: ['eks', 'get-token'] } } },
  ],
  contexts: [
    { name: 'prod', context: { cluster: 'staging', user: 'bob' } },
    { name: 'staging', context: { cluster: 'staging', user: 'bob', namespace: 'team' } },
  ],
};
const fileC: RawKubeconfig = { 'current-context': 'prod' };

describe('mergeKubeconfigs', () => {
  const merged = mergeKubeconfigs([
    { path: '/home/me/.kube/a.yaml', config: fileA },
    { path: '/etc/kube/b.yaml', config: fileB },
    { path: '/etc/kube/c.yaml', config: fileC },
  ]);

  it.each([
    ['clusters', merged.clusters?.map((c) => [c.name, c.cluster.server]), [['prod', 'https://a'], ['dev', 'https://a-dev'], ['staging', 'https://b-staging']]],
    ['users', merged.users?.map((u) => u.name), ['alice', 'bob', 'carol']],
    ['contexts', merged.contexts?.map((c) => [c.name, c.context.cluster]), [['prod', 'prod'], ['staging', 'staging']]],
  ])('keeps the first occurrence of each %s name, in file order', (_kind, got, want) => {
    expect(got).toEqual(want);
  });

  it('does not let a later duplicate leak fields into the first entry', () => {
    expect(merged.users?.[0]?.user.token).toBeUndefined();
  });

  it.each([
    ['first file that sets it', [fileA, fileB, fileC], 'staging'],
    ['skips empty strings', [{ 'current-context': '' }, fileC, fileB], 'prod'],
    ['none set', [fileA], undefined],
  ])('current-context: %s', (_name, configs, want) => {
    const m = mergeKubeconfigs(configs.map((config, i) => ({ path: `/k/${i}`, config })));
    expect(m['current-context']).toBe(want);
  });

  it.each([
    ['cluster certificate-authority', merged.clusters?.[0]?.cluster['certificate-authority'], '/home/me/.kube/ca.crt'],
    ['user client-certificate', merged.users?.[0]?.user['client-certificate'], '/home/me/.kube/certs/alice.crt'],
    ['absolute client-key untouched', merged.users?.[0]?.user['client-key'], '/abs/alice.key'],
    ['tokenFile', merged.users?.[1]?.user.tokenFile, '/etc/tok'],
    ['exec command with a slash', merged.users?.[1]?.user.exec?.command, '/etc/kube/bin/plugin'],
    ['exec command without a slash stays a PATH lookup', merged.users?.[2]?.user.exec?.command, 'aws'],
  ])('resolves paths against the defining file: %s', (_name, got, want) => {
    expect(got).toBe(want);
  });

  it('keeps other exec fields and does not mutate its input', () => {
    expect(merged.users?.[1]?.user.exec?.args).toEqual(['x']);
    expect(fileB.users?.[1]?.user.exec?.command).toBe('./bin/plugin');
    expect(fileA.clusters?.[0]?.cluster['certificate-authority']).toBe('ca.crt');
  });
});

describe('splitKubeconfigEnv', () => {
  it.each([
    ['/a:/b', ['/a', '/b']],
    ['/a::/b:', ['/a', '/b']],
    ['/a:/b:/a', ['/a', '/b']],
    ['', []],
    [':::', []],
    ['relative/x', ['relative/x']],
  ])('%j', (value, want) => {
    expect(splitKubeconfigEnv(value)).toEqual(want);
  });
});

describe('parseKubeconfig', () => {
  it.each([
    ['empty file', null, {}],
    ['null lists', { clusters: null, users: null }, { clusters: [], users: [], contexts: [] }],
    [
      'missing bodies become empty',
      { users: [{ name: 'u' }], 'current-context': 'x', preferences: {} },
      { clusters: [], users: [{ name: 'u', user: {} }], contexts: [], 'current-context': 'x' },
    ],
  ])('accepts %s', (_name, value, want) => {
    expect(parseKubeconfig(value, '/k')).toEqual(want);
  });

  it.each([
    ['a list at the top', [], 'the top level is not a mapping'],
    ['clusters not a list', { clusters: {} }, '"clusters" is not a list'],
    ['unnamed entry', { contexts: [{ context: {} }] }, 'contexts[0] has no name'],
    ['body not a mapping', { users: [{ name: 'u', user: 'x' }] }, 'users[0].user is not a mapping'],
    ['server not a string', { clusters: [{ name: 'c', cluster: { server: 1 } }] }, 'clusters[0].cluster.server is not a string'],
  ])('rejects %s', (_name, value, what) => {
    expect(() => parseKubeconfig(value, '/k')).toThrow(
      new ConfigError(`kubeconfig /k is malformed: ${what}; fix the file or point KUBECONFIG/--kubeconfig elsewhere`),
    );
  });
});

describe('selectContext', () => {
  const kc: RawKubeconfig = {
    'current-context': 'a',
    clusters: [{ name: 'c1', cluster: {} }, { name: 'c2', cluster: {} }],
    users: [{ name: 'u1', user: {} }, { name: 'u2', user: {} }],
    contexts: [
      { name: 'a', context: { cluster: 'c1', user: 'u1', namespace: 'ns-a' } },
      { name: 'b', context: { cluster: 'c2', user: 'u2' } },
      { name: 'anon', context: { cluster: 'c1' } },
      { name: 'lost-cluster', context: { cluster: 'gone', user: 'u1' } },
      { name: 'lost-user', context: { cluster: 'c1', user: 'gone' } },
      { name: 'no-cluster', context: { user: 'u1' } },
    ],
  };

  it.each<[string, ContextOverrides, ReturnType<typeof selectContext>]>([
    ['current context', {}, { contextName: 'a', clusterName: 'c1', userName: 'u1', namespace: 'ns-a' }],
    ['--context', { context: 'b' }, { contextName: 'b', clusterName: 'c2', userName: 'u2', namespace: 'default' }],
    ['--cluster override', { cluster: 'c2' }, { contextName: 'a', clusterName: 'c2', userName: 'u1', namespace: 'ns-a' }],
    ['--user override', { context: 'b', user: 'u1' }, { contextName: 'b', clusterName: 'c2', userName: 'u1', namespace: 'default' }],
    ['--namespace wins', { namespace: 'x' }, { contextName: 'a', clusterName: 'c1', userName: 'u1', namespace: 'x' }],
    ['empty --namespace ignored', { namespace: '' }, { contextName: 'a', clusterName: 'c1', userName: 'u1', namespace: 'ns-a' }],
    ['anonymous user', { context: 'anon' }, { contextName: 'anon', clusterName: 'c1', userName: '', namespace: 'default' }],
    ['--cluster fixes a dangling cluster', { context: 'lost-cluster', cluster: 'c1' }, { contextName: 'lost-cluster', clusterName: 'c1', userName: 'u1', namespace: 'default' }],
  ])('%s', (_name, overrides, want) => {
    expect(selectContext(kc, overrides)).toEqual(want);
  });

  it.each<[string, RawKubeconfig, ContextOverrides, string]>([
    ['unknown --context', kc, { context: 'x' }, 'context "x" not found in kubeconfig; available: a, b, anon, lost-cluster, lost-user, no-cluster'],
    ['no contexts at all', {}, { context: 'x' }, 'context "x" not found in kubeconfig; available: (none)'],
    ['no current context', { ...kc, 'current-context': '' }, {}, 'no current context in kubeconfig; pass --context NAME or run `kubectl config use-context NAME`'],
    [
      'dangling current context',
      { ...kc, 'current-context': 'old' },
      {},
      'current context "old" not found in kubeconfig; pass --context (available: a, b, anon, lost-cluster, lost-user, no-cluster) or run `kubectl config use-context NAME`',
    ],
    ['unknown --cluster', kc, { cluster: 'x' }, 'cluster "x" not found in kubeconfig; available: c1, c2'],
    ['unknown --user', kc, { user: 'x' }, 'user "x" not found in kubeconfig; available: u1, u2'],
    [
      'context names a missing cluster',
      kc,
      { context: 'lost-cluster' },
      'context "lost-cluster" uses cluster "gone", which is not in kubeconfig; pass --cluster (available: c1, c2) or fix the kubeconfig',
    ],
    [
      'context names a missing user',
      kc,
      { context: 'lost-user' },
      'context "lost-user" uses user "gone", which is not in kubeconfig; pass --user (available: u1, u2) or fix the kubeconfig',
    ],
    ['context without cluster', kc, { context: 'no-cluster' }, 'context "no-cluster" names no cluster; pass --cluster NAME or fix the kubeconfig'],
  ])('%s', (_name, config, overrides, message) => {
    let caught: unknown;
    try {
      selectContext(config, overrides);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toBe(message);
  });
});
