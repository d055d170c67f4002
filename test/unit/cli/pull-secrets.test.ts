import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../src/cli/args.js';
import { toOptions } from '../../../src/cli/options.js';

// The pod's pull secrets are the workload's credentials: a flag and an env
// variable keep the plugin from reading them.
describe('--no-pull-secrets', () => {
  it.each([
    { argv: ['web'], env: {}, want: undefined },
    { argv: ['web', '--no-pull-secrets'], env: {}, want: false },
    { argv: ['web'], env: { DISTROLESS_DEBUG_NO_PULL_SECRETS: '1' }, want: false },
    { argv: ['web'], env: { DISTROLESS_DEBUG_NO_PULL_SECRETS: 'true' }, want: false },
    { argv: ['web'], env: { DISTROLESS_DEBUG_NO_PULL_SECRETS: '0' }, want: undefined },
    { argv: ['web'], env: { DISTROLESS_DEBUG_NO_PULL_SECRETS: '' }, want: undefined },
  ])('$argv with $env -> pullSecrets $want', ({ argv, env, want }) => {
    expect(toOptions(parseArgs(argv), env).pullSecrets).toBe(want);
  });

  it('is a switch: it takes no value and leaves the pod name alone', () => {
    const o = toOptions(parseArgs(['--no-pull-secrets', 'web', '--', 'id']), {});
    expect(o.ref).toEqual({ kind: 'pod', name: 'web' });
    expect(o.command).toEqual(['id']);
  });
});
