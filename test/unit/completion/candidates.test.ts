import { describe, expect, it } from 'vitest';
import { analyze, complete, kubeconfigFlags, render, type CompletionSource } from '../../../src/completion/candidates.js';
import { Directive } from '../../../src/completion/spec.js';

interface Calls {
  pods: Array<string | undefined>;
  workloads: Array<[string, string | undefined]>;
  containers: Array<[string, string | undefined]>;
}

/** A cluster with two namespaces; records what was asked. */
function fakeSource(opts: { failing?: boolean } = {}): CompletionSource & { calls: Calls } {
  const calls: Calls = { pods: [], workloads: [], containers: [] };
  const fail = () => {
    throw new Error('connection refused');
  };
  return {
    calls,
    async pods(ns) {
      calls.pods.push(ns);
      if (opts.failing) fail();
      return ns === 'shop' ? ['checkout-7d9c-x2x4p', 'cart-0', 'cart-1'] : ['web-1', 'web-2'];
    },
    async workloads(kind, ns) {
      calls.workloads.push([kind.kind, ns]);
      if (opts.failing) fail();
      return kind.kind === 'deployment' ? ['checkout', 'catalog'] : kind.kind === 'statefulset' ? ['cart'] : [];
    },
    async containers(target, ns) {
      calls.containers.push([target, ns]);
      return ['app', 'sidecar'];
    },
    async namespaces() {
      if (opts.failing) fail();
      return ['shop', 'default', 'kube-system'];
    },
    async contexts() {
      return ['admin', 'viewer', 'admin'];
    },
    async clusters() {
      return ['local'];
    },
    async users() {
      return ['admin', 'debugger'];
    },
  };
}

const values = async (words: string[], source = fakeSource()) => (await complete(words, source)).candidates.map((c) => c.value);

describe('analyze', () => {
  it.each<{ words: string[]; what: string }>([
    { words: [], what: 'target' },
    { words: [''], what: 'target' },
    { words: ['we'], what: 'target' },
    { words: ['-n', 'shop', ''], what: 'target' },
    { words: ['web-1', ''], what: 'nothing' },
    { words: ['web-1', '--', ''], what: 'nothing' },
    { words: ['web-1', '--', 'ls', '-'], what: 'nothing' },
    { words: ['-'], what: 'flags' },
    { words: ['web-1', '--ti'], what: 'flags' },
    { words: ['-n', ''], what: 'value' },
    { words: ['--namespace=sh'], what: 'value' },
    { words: ['--new', ''], what: 'target' },
    { words: ['-q', '-t', ''], what: 'target' },
    { words: ['--dry-run', ''], what: 'target' },
    { words: ['--unknown=x'], what: 'nothing' },
  ])('$words -> $what', ({ words, what }) => {
    expect(analyze(words).request.what).toBe(what);
  });

  it('reads flag values in every kubectl spelling', () => {
    const { line } = analyze(['-n', 'a', '--namespace=b', '-nc', '--context', 'ctx', '--as-group=g1', '--as-group', 'g2', 'pod/web', '-c=app', '']);
    expect(line.flags.get('namespace')).toEqual(['a', 'b', 'c']);
    expect(line.flags.get('container')).toEqual(['app']);
    expect(line.target).toBe('pod/web');
    expect(kubeconfigFlags(line)).toEqual({ namespace: 'c', context: 'ctx', asGroups: ['g1', 'g2'] });
  });

  it('does not take a value-flag argument as the target', () => {
    expect(analyze(['--image', 'busybox', '-c', 'app', '']).line.target).toBeUndefined();
    expect(analyze(['-v=6', '--v=9', '-q', 'web-1', '']).line.target).toBe('web-1');
  });

  it('ignores everything after --', () => {
    const { line } = analyze(['web-1', '--', 'sh', '-n', 'x', '']);
    expect(line.flags.has('namespace')).toBe(false);
    expect(line.afterDashDash).toBe(true);
  });
});

describe('complete: the target', () => {
  it('offers running pods and the workload kinds, in the namespace given', async () => {
    const source = fakeSource();
    expect(await values(['-n', 'shop', ''], source)).toEqual(['cart-0', 'cart-1', 'checkout-7d9c-x2x4p', 'deploy/', 'sts/', 'ds/', 'rs/', 'job/', 'pod/']);
    expect(source.calls.pods).toEqual(['shop']);
  });

  it("uses the context's namespace when none is given", async () => {
    const source = fakeSource();
    expect(await values(['w'], source)).toEqual(['web-1', 'web-2']);
    expect(source.calls.pods).toEqual([undefined]);
  });

  it('filters by the partial word and keeps no space after a lone kind', async () => {
    expect(await complete(['de'], fakeSource())).toEqual({
      candidates: [{ value: 'deploy/', description: 'a running, ready pod of a deployment' }],
      directive: Directive.noFileComp | Directive.noSpace,
    });
    expect(await values(['deployment'])).toEqual(['deployment/']);
    expect(await values(['stateful'])).toEqual(['statefulset/']);
    expect((await complete(['web-1'], fakeSource())).directive).toBe(Directive.noFileComp);
  });

  it('lists the workloads of the kind typed, in the spelling typed', async () => {
    const source = fakeSource();
    expect(await values(['-n', 'shop', 'deploy/c'], source)).toEqual(['deploy/catalog', 'deploy/checkout']);
    expect(await values(['--namespace=shop', 'Deployments.apps/'], source)).toEqual(['Deployments.apps/catalog', 'Deployments.apps/checkout']);
    expect(await values(['-n', 'shop', 'sts/'], source)).toEqual(['sts/cart']);
    expect(await values(['-n', 'shop', 'po/ca'], source)).toEqual(['po/cart-0', 'po/cart-1']);
    expect(source.calls.workloads).toEqual([
      ['deployment', 'shop'],
      ['deployment', 'shop'],
      ['statefulset', 'shop'],
    ]);
    expect(await values(['svc/'])).toEqual([]);
  });

  it('still offers the kinds when the cluster cannot be read', async () => {
    const logged: string[] = [];
    const c = await complete([''], fakeSource({ failing: true }), (l) => logged.push(l));
    expect(c.candidates.map((x) => x.value)).toEqual(['deploy/', 'sts/', 'ds/', 'rs/', 'job/', 'pod/']);
    expect(logged.some((l) => l.includes('connection refused'))).toBe(true);
    expect(await values(['deploy/'], fakeSource({ failing: true }))).toEqual([]);
  });
});

describe('complete: flags', () => {
  it('offers long and short flags with descriptions', async () => {
    const c = await complete(['-'], fakeSource());
    const v = c.candidates.map((x) => x.value);
    expect(v).toEqual(expect.arrayContaining(['--namespace', '-n', '--context', '--dry-run', '-q', '--version']));
    expect(c.candidates.find((x) => x.value === '-n')?.description).toBe('namespace of the pod');
    expect(c.directive).toBe(Directive.noFileComp);
  });

  it('offers only long flags after --, minus the ones already given (repeatable ones stay)', async () => {
    const v = await values(['--namespace', 'x', '--env', 'A=1', '--']);
    expect(v.every((x) => x.startsWith('--'))).toBe(true);
    expect(v).not.toContain('--namespace');
    expect(v).toContain('--env');
    expect(await values(['--na'])).toEqual(['--namespace']);
  });
});

describe('complete: flag values', () => {
  it.each<{ words: string[]; want: string[] }>([
    { words: ['-n', ''], want: ['default', 'kube-system', 'shop'] },
    { words: ['--namespace', 's'], want: ['shop'] },
    { words: ['--namespace=s'], want: ['--namespace=shop'] },
    { words: ['--context', ''], want: ['admin', 'viewer'] },
    { words: ['--context=v'], want: ['--context=viewer'] },
    { words: ['--cluster', ''], want: ['local'] },
    { words: ['--user', 'd'], want: ['debugger'] },
    { words: ['--profile', ''], want: ['auto', 'restricted', 'baseline', 'general'] },
    { words: ['--image-pull-policy', 'I'], want: ['IfNotPresent'] },
    { words: ['-o', ''], want: ['yaml', 'json'] },
    { words: ['--dry-run='], want: ['--dry-run=client', '--dry-run=server'] },
    { words: ['--image', ''], want: [] },
    { words: ['--uid', ''], want: [] },
  ])('$words', async ({ words, want }) => {
    const c = await complete(words, fakeSource());
    expect(c.candidates.map((x) => x.value)).toEqual(want);
    expect(c.directive).toBe(Directive.noFileComp);
  });

  it("completes -c from the target's containers", async () => {
    const source = fakeSource();
    expect(await values(['-n', 'shop', 'deploy/checkout', '-c', ''], source)).toEqual(['app', 'sidecar']);
    expect(await values(['-c', ''], source)).toEqual([]);
    expect(source.calls.containers).toEqual([['deploy/checkout', 'shop']]);
  });

  it('leaves --kubeconfig to the shell’s file completion', async () => {
    expect(await complete(['--kubeconfig', ''], fakeSource())).toEqual({ candidates: [], directive: Directive.default });
  });
});

describe('render', () => {
  it('prints cobra’s format: candidates, TAB descriptions, then the directive', () => {
    expect(render({ candidates: [{ value: 'web-1' }, { value: 'deploy/', description: 'a\tdeployment\n' }], directive: 6 })).toBe(
      'web-1\ndeploy/\ta deployment \n:6\n',
    );
    expect(render({ candidates: [], directive: 4 })).toBe(':4\n');
  });
});
