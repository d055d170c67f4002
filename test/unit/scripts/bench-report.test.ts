import { describe, expect, it } from 'vitest';
import type { BenchRun } from '../../../scripts/bench.d/report.mjs';
import { pairRow, renderBenchmarks } from '../../../scripts/bench.d/report.mjs';

// docs/benchmarks.md is rendered from one run's measurements only: the writer
// gets the raw samples and prints what they say, nothing else.

const run = (over: Partial<BenchRun> = {}): BenchRun => ({
  date: '2030-01-02',
  machine: { cores: 3, cpuModel: 'Test CPU', memGiB: 7.9, kernel: '9.9.9-test', node: 'v20.99.0' },
  versions: { plugin: 'kubectl-distroless_debug v9.9.9', kubectl: 'Client Version: v1.99.0', server: 'v1.99.1', runtime: 'containerd://9.9.9' },
  floorMs: 91.25,
  rows: [pairRow('first prompt, new debugger vs kubectl debug -it', [400, 600, 500], [1000, 1000, 1000], 0.5)],
  phaseRuns: 3,
  phaseCommand: 'phase command',
  phases: [['patch', [21, 23, 40]]],
  commands: ['cmd one'],
  notes: [],
  ...over,
});

describe('benchmarks page', () => {
  it('pairRow: medians, the median of per-pair ratios, and the spread', () => {
    expect(pairRow('x', [100, 300, 200], [100, 100, 400], 1)).toEqual({ name: 'x', n: 3, ours: 200, peer: 100, ratio: 1, minRatio: 0.5, maxRatio: 3, goal: 1 });
  });

  it('every number in the page comes from the run it was given', () => {
    const page = renderBenchmarks(run());
    expect(page).toContain('from one run on 2030-01-02');
    expect(page).toContain('3 cores (Test CPU), 8 GiB, Linux 9.9.9-test, Node v20.99.0');
    expect(page).toContain('API server v1.99.1; container runtime containerd://9.9.9');
    expect(page).toContain('| floor: `node -e 0` | 91.3 |');
    expect(page).toContain('| first prompt, new debugger vs kubectl debug -it (3 pairs) | 500 | 1000 | 0.50x | 0.40x–0.60x | ≤ 0.5x | yes |');
    expect(page).toContain('| patch | 23.0 | 21.0–40.0 |');
    // Nothing fixed from another day: no dates, versions or verdicts that were not passed in.
    const numbers = page.match(/\d+(?:\.\d+)*/g) ?? [];
    const allowed = new Set(['2030', '01', '02', '3', '9.9.9', '7.9', '8', '20.99.0', '1.99.0', '1.99.1', '91.3', '500', '1000', '0.50', '0.40', '0.60', '0.5', '23.0', '21.0', '40.0', '0', '99', '20']);
    expect(numbers.filter((n) => !allowed.has(n))).toEqual([]);
    expect(page).not.toMatch(/meets the goal|2026/);
  });

  it('a missed goal says by how much; a row without a goal has no verdict', () => {
    const page = renderBenchmarks(
      run({ rows: [pairRow('slow', [600, 600, 600], [1000, 1000, 1000], 0.5), pairRow('plain', [1, 1, 1], [2, 2, 2], undefined)] }),
    );
    expect(page).toContain('| slow (3 pairs) | 600 | 1000 | 0.60x | 0.60x–0.60x | ≤ 0.5x | no (1.20x over) |');
    expect(page).toContain('| plain (3 pairs) | 1.0 | 2.0 | 0.50x | 0.50x–0.50x |  |  |');
  });

  it('sections the run did not measure are left out, not filled in', () => {
    const page = renderBenchmarks(run({ throughput: undefined, phases: [], notes: [] }));
    expect(page).not.toContain('MiB through stdout');
    expect(page).not.toContain('by phase');
    expect(page).not.toContain('## Notes');
  });

  it('throughput: higher is better, RSS against its limit', () => {
    const page = renderBenchmarks(
      run({ throughput: { mib: 200, n: 3, ours: 60, peer: 66, ratio: 0.91, minRatio: 0.88, maxRatio: 1.2, rssMiB: 86.4, goal: 1, rssGoalMiB: 100 } }),
    );
    expect(page).toContain('| MiB/s (median of 3) | 60 | 66 | 0.91x | 0.88x–1.20x | ≥ 1x | no (0.91x of it) |');
    expect(page).toContain('| our peak RSS (MiB, highest of 3) | 86 | | | | < 100 MiB | yes |');
  });
});
