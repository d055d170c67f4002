// cp benchmark rows: `kubectl distroless-debug cp` on a distroless app (tar
// runs in its debugger) against `kubectl cp` on a BusyBox pod that has tar,
// side by side, in pairs whose order alternates (A B, then B A, ...): on a
// shared disk the run that goes first after another's writes pays for their
// writeback, so neither side always goes first; the outputs of a case are
// deleted only after all its pairs (deleting 5,000 files just before a run
// made that run's file creations several times slower). Called once from bench.mjs
// (benchCp(...) returns the page's cp section); `node scripts/bench.d/cp.mjs`
// alone measures only these rows and replaces the cp section of
// docs/benchmarks.md (between its markers) with what that run measured.
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, ratioStr } from './report.mjs';

export const CP_BEGIN = '<!-- cp rows: scripts/bench.d/cp.mjs -->';
export const CP_END = '<!-- end of cp rows -->';

/**
 * @param {{ plugin: string, pluginLabel?: string, kubectl: string, env: NodeJS.ProcessEnv, ns: string, runs?: number, image?: string }} o
 * @returns {Promise<{ section: string, summary: string[] }>}
 */
export async function benchCp(o) {
  const { plugin, env, ns } = o;
  // Five pairs: with three, one slow disk flush decided a case's median.
  const runs = o.runs ?? 5;
  const image = o.image ?? 'docker.io/library/busybox:1.37.0';
  const kubectl = (args, input) => execFileSync(o.kubectl, ['--context', 'admin', ...args], { env, encoding: 'utf8', input });
  const pod = (name, img, extra) => {
    kubectl(['-n', ns, 'delete', 'pod', name, '--ignore-not-found', '--wait=true', '--grace-period=1']);
    const spec = {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'app', image: img, volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }], ...extra }],
      volumes: [{ name: 'scratch', emptyDir: {} }],
    };
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec }));
    kubectl(['-n', ns, 'wait', '--for=condition=Ready', `pod/${name}`, '--timeout=120s']);
  };
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
  const app = 'bench-cp-app';
  const tools = 'bench-cp-tools';
  pod(app, '127.0.0.1:5000/fixtures/app:nonroot', {});
  pod(tools, image, { command: ['sleep', '86400'] });

  const dir = mkdtempSync(join(tmpdir(), 'dd-bench-cp-'));
  const size = 200 * 1024 * 1024;
  const big = join(dir, 'big.bin');
  writeFileSync(big, spawnSync('head', ['-c', String(size), '/dev/urandom'], { maxBuffer: size + 1024 }).stdout);
  const many = join(dir, 'many');
  mkdirSync(many);
  for (let i = 0; i < 5000; i++) writeFileSync(join(many, `f${i}`), `small file ${i}\n`);
  const manyBytes = 5000 * 16;

  /** Failed runs (not measurements), retried, and counted in the section. */
  const failures = [];
  /** Runs under /usr/bin/time: seconds and peak RSS (MiB); a failed run is retried up to twice. */
  const timed = (cmd, args) => {
    for (let attempt = 0; ; attempt++) {
      const r = spawnSync('/usr/bin/time', ['-f', '%M %e', cmd, ...args], { env, encoding: 'utf8' });
      const last = r.stderr.trim().split('\n').pop() ?? '';
      const [kb, secs] = last.split(' ').map(Number);
      if (r.status === 0) return { seconds: secs, rssMiB: kb / 1024 };
      const what = `${cmd.endsWith('kubectl') ? 'kubectl cp' : 'ours'} ${args.slice(-2).join(' ')}: ${r.stderr.trim().split('\n')[0]}`;
      failures.push(what);
      console.log(`failed (retrying): ${what}`);
      if (attempt >= 2) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    }
  };
  const ours = (...args) => timed(plugin, ['cp', '-q', '-n', ns, ...args]);
  const peer = (...args) => timed(o.kubectl, ['--context', 'admin', '-n', ns, 'cp', ...args]);

  // The debugger is started once, before the clock (kubectl cp has nothing to
  // start); both programs run once before the clock (binaries in the page cache).
  ours(join(dir, 'many', 'f0'), `${app}:/scratch/warm`);
  peer(join(dir, 'many', 'f0'), `${tools}:/scratch/warm`);
  /** The inputs and earlier outputs written back to disk, so no run pays for them. */
  const settle = () => spawnSync('sync');

  const cases = [
    {
      name: '200 MiB file into the pod',
      mib: size / 1048576,
      ours: () => ours(big, `${app}:/scratch/big.bin`),
      peer: () => peer(big, `${tools}:/scratch/big.bin`),
    },
    {
      name: '200 MiB file out of the pod',
      mib: size / 1048576,
      ours: (i) => ours(`${app}:/scratch/big.bin`, join(dir, `out-ours-${i}.bin`)),
      peer: (i) => peer(`${tools}:/scratch/big.bin`, join(dir, `out-peer-${i}.bin`)),
      after: (i) => {
        rmSync(join(dir, `out-ours-${i}.bin`), { force: true });
        rmSync(join(dir, `out-peer-${i}.bin`), { force: true });
      },
    },
    {
      name: '5,000 small files into the pod',
      mib: manyBytes / 1048576,
      ours: (i) => ours(many, `${app}:/scratch/many-${i}`),
      peer: (i) => peer(many, `${tools}:/scratch/many-${i}`),
    },
    {
      name: '5,000 small files out of the pod',
      mib: manyBytes / 1048576,
      ours: (i) => ours(`${app}:/scratch/many-0`, join(dir, `many-ours-${i}`)),
      peer: (i) => peer(`${tools}:/scratch/many-0`, join(dir, `many-peer-${i}`)),
      after: (i) => {
        rmSync(join(dir, `many-ours-${i}`), { recursive: true, force: true });
        rmSync(join(dir, `many-peer-${i}`), { recursive: true, force: true });
      },
    },
  ];
  const rows = [];
  for (const c of cases) {
    const o1 = [];
    const p1 = [];
    const rss = [];
    for (let i = 0; i < runs; i++) {
      settle();
      const oursFirst = i % 2 === 0;
      const first = oursFirst ? c.ours(i) : c.peer(i);
      const second = oursFirst ? c.peer(i) : c.ours(i);
      const a = oursFirst ? first : second;
      const b = oursFirst ? second : first;
      o1.push(c.mib / a.seconds);
      p1.push(c.mib / b.seconds);
      rss.push(a.rssMiB);
    }
    for (let i = 0; i < runs; i++) c.after?.(i);
    const ratios = o1.map((x, i) => x / p1[i]);
    const row = { name: c.name, n: runs, ours: median(o1), peer: median(p1), ratio: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), rss: Math.max(...rss) };
    rows.push(row);
    console.log(`cp ${c.name}: ours ${row.ours.toFixed(1)} MiB/s, kubectl cp ${row.peer.toFixed(1)} MiB/s, ratio ${ratioStr(row.ratio)}, our peak RSS ${row.rss.toFixed(0)} MiB`);
  }
  rmSync(dir, { recursive: true, force: true });
  kubectl(['-n', ns, 'delete', 'pod', app, tools, '--wait=false']);

  const fmt = (x) => (x >= 10 ? x.toFixed(0) : x.toFixed(2));
  const lines = [
    CP_BEGIN,
    '',
    `## cp (measured ${new Date().toISOString().slice(0, 10)})`,
    '',
    `\`kubectl distroless-debug cp\` (${o.pluginLabel ?? 'npm entry'}) on a \`:nonroot\` distroless app (BusyBox tar in its debugger, already running) against \`kubectl cp\` on a BusyBox pod (\`${image}\`, tar in the container), both to and from an emptyDir; ${runs} pairs each, the order within a pair alternating (ours first, then kubectl cp first), \`sync\` before each pair, outputs deleted after the last pair of a case. Throughput in MiB/s of file content (higher is better); ratio ours/peer per pair, its median and spread. Peak RSS from \`/usr/bin/time -f %M\`, the highest of the ${runs} runs.`,
    '',
    '| cp | ours (MiB/s) | kubectl cp (MiB/s) | ratio | spread | goal | met | our peak RSS (MiB) | goal | met |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.ours)} | ${fmt(r.peer)} | ${ratioStr(r.ratio)} | ${ratioStr(r.min)}–${ratioStr(r.max)} | ≥ 1.0x | ${r.ratio >= 1 ? 'yes' : 'no'} | ${r.rss.toFixed(0)} | < 100 | ${r.rss < 100 ? 'yes' : 'no'} |`,
    ),
    ...(failures.length ? ['', `Runs that failed and were repeated (not measured): ${failures.map((f) => `\`${f}\``).join('; ')}.`] : []),
    '',
    CP_END,
  ];
  return { section: lines.join('\n'), summary: rows.map((r) => `${r.name}: ${ratioStr(r.ratio)}`) };
}

// Alone: only the cp rows, into their section of docs/benchmarks.md.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const REPO = fileURLToPath(new URL('../..', import.meta.url));
  const CACHE = process.env.DD_CACHE ?? `${homedir()}/.cache/distroless-debug`;
  const env = { ...process.env, KUBECONFIG: `${process.env.DD_CLUSTER_STATE ?? `${CACHE}/cluster`}/kubeconfig` };
  // BENCH_PLUGIN: another build's executable (an older commit, for a before/after).
  const { section } = await benchCp({ plugin: process.env.BENCH_PLUGIN ?? `${REPO}/bin/kubectl-distroless_debug`, pluginLabel: process.env.BENCH_PLUGIN ? `\`${process.env.BENCH_PLUGIN}\`` : 'npm entry', kubectl: `${CACHE}/bin/kubectl`, env, ns: process.env.BENCH_NS ?? 'bench', runs: Number(process.env.BENCH_RUNS ?? 3) });
  const file = `${REPO}/docs/benchmarks.md`;
  const page = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = page.indexOf(CP_BEGIN);
  const end = page.indexOf(CP_END);
  const next = start >= 0 && end > start ? page.slice(0, start) + section + page.slice(end + CP_END.length) : `${page.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
  console.log('wrote the cp section of docs/benchmarks.md');
}
