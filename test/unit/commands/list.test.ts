import type { V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { compareRows, formatAge, profileOf, rowsOf, whyExited } from '../../../src/commands/list/rows.js';
import { renderTable, stateCell } from '../../../src/commands/list/table.js';
import { parseFlags } from '../../../src/commands/list/flags.js';

const ours = (name: string, env: Array<{ name: string; value: string }> = []) => ({
  name,
  image: 'busybox',
  targetContainerName: 'app',
  securityContext: { runAsUser: 65532, runAsGroup: 65532, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
  env: [{ name: 'DD_MODE', value: 'exec' }, { name: 'DD_IDLE_TIMEOUT', value: '600' }, ...env],
});

function pod(ns: string, name: string, containers: V1EphemeralContainer[], statuses: unknown[] = []): V1Pod {
  return { metadata: { namespace: ns, name }, spec: { containers: [{ name: 'app' }], ephemeralContainers: containers }, status: { ephemeralContainerStatuses: statuses as never } };
}

describe('rowsOf', () => {
  it('reads ours and others, identity, profile, states and the record', () => {
    const p = pod(
      'shop',
      'web',
      [
        ours('distroless-debug-aaaa', [
          { name: 'DD_OPENED_BY', value: 'alice' },
          { name: 'DD_OPENED_AT', value: '2026-11-28T09:00:00Z' },
          { name: 'DD_PLUGIN_VERSION', value: '0.1.0' },
          { name: 'DD_REASON', value: 'INC-1' },
        ]),
        { name: 'debugger-x', image: 'busybox' },
      ],
      [
        { name: 'distroless-debug-aaaa', state: { running: { startedAt: '2026-11-28T09:00:01Z' } } },
        { name: 'debugger-x', state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: '2026-11-28T08:00:00Z' } } },
      ],
    );
    const [a, b] = rowsOf(p);
    expect(a).toMatchObject({ ours: true, identity: '65532:65532', profile: 'restricted', mode: 'exec', idleTimeoutSeconds: 600, state: { kind: 'running' }, record: { openedBy: 'alice', reason: 'INC-1' } });
    expect(b).toMatchObject({ ours: false, identity: undefined, profile: undefined, record: undefined, state: { kind: 'exited', exitCode: 0 } });
    expect(stateCell(b!, undefined)).toBe('Exited 0 (Completed)');
  });

  it('profiles, the keeper\'s termination messages, kubectl ages', () => {
    expect(profileOf({ name: 'x', securityContext: { runAsUser: 0, capabilities: { add: ['SYS_PTRACE'] } } })).toBe('general');
    expect(profileOf({ name: 'x', securityContext: { runAsUser: 0 } })).toBe('baseline');
    expect(whyExited('idle-timeout 600\n')).toBe('idle 10m');
    expect(whyExited('stopped by bob at 2026-11-28T10:00:00Z\n')).toBe('stopped by bob at 2026-11-28T10:00:00Z');
    expect(whyExited('identity-mismatch pid=1 uid=1001 gid=1001\n')).toBe('wrong identity, target is 1001:1001');
    expect(whyExited(undefined)).toBeUndefined();
    expect([45, 130, 600, 3 * 3600 + 60, 9 * 3600, 3 * 86400 + 3600, 400 * 86400, 800 * 86400].map(formatAge)).toEqual(['45s', '2m10s', '10m', '3h1m', '9h', '3d1h', '400d', '2y70d']);
  });

  it('sorts by namespace, pod, then oldest first (not the spec order)', () => {
    const p = pod('a', 'p', [ours('distroless-debug-new'), ours('distroless-debug-old')], [
      { name: 'distroless-debug-new', state: { running: { startedAt: '2026-11-28T10:00:00Z' } } },
      { name: 'distroless-debug-old', state: { running: { startedAt: '2026-11-28T09:00:00Z' } } },
    ]);
    const rows = [...rowsOf(pod('b', 'q', [ours('distroless-debug-z')])), ...rowsOf(p)].sort(compareRows);
    expect(rows.map((r) => r.name)).toEqual(['distroless-debug-old', 'distroless-debug-new', 'distroless-debug-z']);
  });
});

describe('renderTable', () => {
  it("pads like kubectl's tabwriter (3 spaces, at least 6 wide), <none> for empty cells, no trailing spaces", () => {
    const rows = rowsOf(pod('ns', 'p', [ours('d1')]));
    const out = renderTable(rows, { wide: false, headers: true, namespaces: true, now: Date.parse('2026-11-28T10:00:00Z') });
    expect(out).toBe(
      'NAMESPACE   POD   DEBUGGER   TARGET   IDENTITY      PROFILE      STATE      AGE         OPENED BY   REASON\n' +
        'ns          p     d1         app      65532:65532   restricted   Starting   <unknown>   <none>      <none>\n',
    );
    expect(renderTable(rows, { wide: false, headers: false, namespaces: false, now: 0 }).split('\n')[0]).toMatch(/^p     d1 /);
  });

  it('never prints control characters from a record', () => {
    const rows = rowsOf(pod('ns', 'p', [ours('d1', [{ name: 'DD_OPENED_BY', value: 'x\u001b[2Jy' }])]));
    expect(renderTable(rows, { wide: false, headers: false, namespaces: false, now: 0 })).toContain('x?[2Jy');
  });
});

describe('parseFlags', () => {
  const spec = { strings: ['output'], booleans: ['all-namespaces'], aliases: { o: 'output', A: 'all-namespaces' } };
  it('reads kubectl flags, short forms and positionals', () => {
    const f = parseFlags(['-A', '-o', 'wide', '--context', 'admin', '-n', 'shop', 'pod1', '-v=6'], spec, 'list');
    expect([...f.booleans]).toContain('all-namespaces');
    expect(f.strings.get('output')).toBe('wide');
    expect(f.kube).toEqual({ context: 'admin', namespace: 'shop' });
    expect(f.positional).toEqual(['pod1']);
    expect(f.verbose).toBe(true);
  });
  it('refuses unknown flags and flags without values', () => {
    expect(() => parseFlags(['--bogus'], spec, 'list')).toThrow('unknown flag --bogus for list; see kubectl distroless-debug list --help');
    expect(() => parseFlags(['-o'], spec, 'list')).toThrow('flag -o needs a value');
    expect(() => parseFlags(['-n', 'Bad_NS'], spec, 'list')).toThrow(/cannot be a namespace/);
  });
});
