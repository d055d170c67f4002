// Only the start-up and completion rows of scripts/bench (same commands, same
// alternating pairs, same goals), printed and not written to
// docs/benchmarks.md: for measuring start-up work without the session rows.
//   node scripts/bench.d/startup.mjs [--sea DIR] [--repo DIR] [--ns NS] [--runs N]
// --sea: a directory with kubectl-distroless_debug and its completion script
// (an unpacked release archive); --repo: whose bin/ is "npm entry" (default:
// this checkout, built). The same rows scripts/bench.d/bench.mjs produces.
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { benchCompletion } from './completion.mjs';
import { median, ms, pairRow, ratioStr } from './report.mjs';

const { values } = parseArgs({ options: { sea: { type: 'string' }, repo: { type: 'string' }, ns: { type: 'string' }, runs: { type: 'string' } } });
const REPO = path.resolve(values.repo ?? fileURLToPath(new URL('../..', import.meta.url)));
const CACHE = process.env.DD_CACHE ?? `${homedir()}/.cache/distroless-debug`;
const KUBECTL = `${CACHE}/bin/kubectl`;
const env = { ...process.env, KUBECONFIG: `${process.env.DD_CLUSTER_STATE ?? `${CACHE}/cluster`}/kubeconfig` };
const RUNS = Number(values.runs ?? 15);
const sea = values.sea ? `${path.resolve(values.sea)}/kubectl-distroless_debug` : undefined;

function time(cmd, args) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  const t = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return t;
}

function pairs(name, ours, peer) {
  const a = [];
  const b = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(ours());
    b.push(peer());
  }
  const row = pairRow(name, a, b, 1.5);
  console.log(`${name}: ours ${ms(row.ours)} ms, peer ${ms(row.peer)} ms, ratio ${ratioStr(row.ratio)} (${ratioStr(row.minRatio)}–${ratioStr(row.maxRatio)}, ${RUNS} pairs)`);
}

const floor = [];
for (let i = 0; i < RUNS; i++) floor.push(time(process.execPath, ['-e', '0']));
console.log(`floor: node -e 0 ${ms(median(floor))} ms`);
const plugin = `${REPO}/bin/kubectl-distroless_debug`;
const peer = () => time(KUBECTL, ['debug', '--help']);
pairs('start-up: --version (npm entry) vs kubectl debug --help', () => time(plugin, ['--version']), peer);
pairs('start-up: --help (npm entry) vs kubectl debug --help', () => time(plugin, ['--help']), peer);
if (sea) pairs('start-up: --version (single binary) vs kubectl debug --help', () => time(sea, ['--version']), peer);
await benchCompletion({ kubectl: KUBECTL, repo: REPO, sea, env, ns: values.ns ?? 'demo', runs: RUNS, notes: [] });
