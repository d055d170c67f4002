// docs/benchmarks.md from one scripts/bench run: a pure function of what that
// run measured. Nothing here is a number, a ratio or a verdict from another
// day; a measurement the run did not make is not in the page.

/** @param {number[]} xs */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** @param {number} x milliseconds */
export const ms = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
/** @param {number} r */
export const ratioStr = (r) => `${r.toFixed(2)}x`;

/**
 * One side-by-side measurement from its raw samples (ours[i] and peer[i] are
 * one pair, taken back to back).
 * @param {string} name
 * @param {number[]} ours
 * @param {number[]} peer
 * @param {number | undefined} goal the ratio ours/peer aimed for, at most
 */
export function pairRow(name, ours, peer, goal) {
  const ratios = ours.map((x, i) => x / peer[i]);
  return { name, n: ours.length, ours: median(ours), peer: median(peer), ratio: median(ratios), minRatio: Math.min(...ratios), maxRatio: Math.max(...ratios), goal };
}

const verdict = (ratio, goal, lowerIsBetter = true) => {
  if (goal === undefined) return '';
  const met = lowerIsBetter ? ratio <= goal : ratio >= goal;
  if (met) return 'yes';
  return lowerIsBetter ? `no (${ratioStr(ratio / goal)} over)` : `no (${ratioStr(ratio / goal)} of it)`;
};

/**
 * @param {import('./report.d.mts').BenchRun} run
 * @returns {string} the whole markdown page
 */
export function renderBenchmarks(run) {
  const m = run.machine;
  const v = run.versions;
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`scripts/bench\` from one run on ${run.date}; every number below comes from that run. Ours and the peer run in pairs whose order alternates (A B, then B A); each row gives the medians, the median of the per-pair ratios ours/peer and their spread (lowest and highest pair). Lower is better for times, higher for throughput. Machines are noisy: compare ratios within a run, not absolute numbers across runs, and several runs before trusting one.`,
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memGiB.toFixed(0)} GiB, Linux ${m.kernel}, Node ${m.node}.`,
    `Versions: plugin ${v.plugin}; kubectl ${v.kubectl}; API server ${v.server}; container runtime ${v.runtime}.`,
    '',
    '| measurement | ours (ms) | peer (ms) | ratio ours/peer | spread | goal | met |',
    '|---|---|---|---|---|---|---|',
  ];
  if (run.floorMs !== undefined) lines.push(`| floor: \`node -e 0\` | ${ms(run.floorMs)} | | | | | |`);
  for (const r of run.rows) {
    lines.push(
      `| ${r.name} (${r.n} pairs) | ${ms(r.ours)} | ${ms(r.peer)} | ${ratioStr(r.ratio)} | ${ratioStr(r.minRatio)}–${ratioStr(r.maxRatio)} | ${r.goal === undefined ? '' : `≤ ${r.goal}x`} | ${verdict(r.ratio, r.goal)} |`,
    );
  }
  const t = run.throughput;
  if (t) {
    lines.push(
      '',
      `| throughput: ${t.mib} MiB through stdout | ours | peer | ratio | spread | goal | met |`,
      '|---|---|---|---|---|---|---|',
      `| MiB/s (median of ${t.n}) | ${t.ours.toFixed(0)} | ${t.peer.toFixed(0)} | ${ratioStr(t.ratio)} | ${ratioStr(t.minRatio)}–${ratioStr(t.maxRatio)} | ${t.goal === undefined ? '' : `≥ ${t.goal}x`} | ${verdict(t.ratio, t.goal, false)} |`,
      `| our peak RSS (MiB, highest of ${t.n}) | ${t.rssMiB.toFixed(0)} | | | | ${t.rssGoalMiB === undefined ? '' : `< ${t.rssGoalMiB} MiB`} | ${t.rssGoalMiB === undefined ? '' : t.rssMiB < t.rssGoalMiB ? 'yes' : 'no'} |`,
    );
  }
  if (run.phases.length) {
    lines.push('', `## Our time to a new debugger, by phase (\`-v\` timings, median of ${run.phaseRuns})`, '', run.phaseCommand, '', '| phase | ms | spread |', '|---|---|---|');
    for (const [name, xs] of run.phases) lines.push(`| ${name} | ${ms(median(xs))} | ${ms(Math.min(...xs))}–${ms(Math.max(...xs))} |`);
  }
  lines.push('', '## Commands', '', ...run.commands.map((c) => `- ${c}`));
  if (run.notes.length) lines.push('', '## Notes', '', ...run.notes.map((n) => `- ${n}`));
  lines.push('');
  return lines.join('\n');
}
