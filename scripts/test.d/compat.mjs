#!/usr/bin/env node
// scripts/test compat [--only ID[,ID...]] [--list] [--render] [VITEST ARGS...]
//
// Runs the end-to-end suite against each cluster configuration in turn and
// writes docs/compatibility.md (and the raw results, docs/compatibility.json,
// which keeps the last result of a configuration that was not run this time).
// Each configuration is brought up first (`scripts/cluster up`, with
// --kubernetes for a version cluster: built once, cached) and left running.
// Not part of `scripts/test`: on 2 cores it takes hours, not minutes.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSkips, parseAllowlist } from './skips.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cache = process.env.DD_CACHE ?? `${homedir()}/.cache/distroless-debug`;

/**
 * The configurations. `env` is what the e2e suite and scripts/cluster see;
 * `differs` is what sets it apart from the default, for the document.
 */
export const CONFIGS = [
  {
    id: 'default',
    env: {},
    state: `${cache}/cluster`,
    node: 'dd-node',
    registry: 'anonymous (127.0.0.1:5000) + private Basic/Bearer (identity tests)',
    differs: 'The reference: containerd 2.2 reports status.containerStatuses[].user, so identity comes from the runtime.',
  },
  {
    id: 'containerd17',
    env: { DD_TEST_NODE: 'containerd17' },
    state: `${cache}/cluster`,
    node: 'dd-node2',
    registry: 'anonymous (127.0.0.1:5000) + private Basic/Bearer (identity tests)',
    differs:
      'Every test pod pinned to the second node (DD_TEST_NODE=containerd17): containerd 1.7 reports no status.containerStatuses[].user, so identity comes from the securityContext, the image config in the registry, or the 65532 guess and the keeper\'s correction.',
  },
  {
    id: 'v1.29',
    env: { DD_KUBERNETES: '1.29' },
    state: `${cache}/cluster-v1.29`,
    node: 'dd-v129-node',
    registry: 'anonymous (127.0.0.1:22950, same fixtures)',
    differs:
      'Oldest minor the Go module proxy serves (v1.29.6; its endpointslice, kube-controller-manager and legacy-cloud-providers staging modules are not served at v0.29.x: v0.30.4 stands in, built with the providerless tag). No status.containerStatuses[].user field (added in 1.31 as alpha); no v5.channel.k8s.io WebSocket stream protocol (1.30+).',
  },
  {
    id: 'v1.37',
    env: { DD_KUBERNETES: '1.37' },
    state: `${cache}/cluster-v1.37`,
    node: 'dd-v137-node',
    registry: 'anonymous (127.0.0.1:23750, same fixtures)',
    differs: 'Newest minor the Go module proxy serves (v1.37.2): status.containerStatuses[].user GA, user namespaces GA, kubelet on cgroup v1 only with failCgroupV1: false.',
  },
];

function parseArgs(argv) {
  let only;
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only') only = argv[++i]?.split(',');
    else if (a.startsWith('--only=')) only = a.slice(7).split(',');
    else if (a === '--list') only = [];
    else if (a === '--render') continue;
    else rest.push(a);
  }
  return { only, rest };
}

function kubectlAt(state, args) {
  const kubectl = existsSync(`${state}/kubectl`) ? `${state}/kubectl` : `${cache}/bin/kubectl`;
  return execFileSync(kubectl, ['--kubeconfig', `${state}/admin.kubeconfig`, ...args], { encoding: 'utf8' });
}

function describeCluster(cfg) {
  try {
    const version = JSON.parse(kubectlAt(cfg.state, ['version', '-o', 'json'])).serverVersion.gitVersion;
    const runtime = kubectlAt(cfg.state, ['get', 'node', cfg.node, '-o', 'jsonpath={.status.nodeInfo.containerRuntimeVersion} {.status.nodeInfo.kubeletVersion}']).trim();
    const [rt, kubelet] = runtime.split(' ');
    return { kubernetes: version, runtime: rt, kubelet };
  } catch (err) {
    return { kubernetes: 'unknown', runtime: 'unknown', kubelet: 'unknown', error: String(err).split('\n')[0] };
  }
}

/** The commit under test, marked when the worktree has uncommitted changes. */
function commitOf() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
    // The results this script writes are not the code under test.
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!docs/compatibility.json', ':!docs/compatibility.md'], { cwd: repo, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return 'unknown';
  }
}

function runConfig(cfg, vitestArgs) {
  const env = { ...process.env, ...cfg.env };
  const started = Date.now();
  const commands = [];
  const up = ['scripts/cluster', ...(cfg.env.DD_KUBERNETES ? ['--kubernetes', cfg.env.DD_KUBERNETES] : []), 'up'];
  commands.push(up.join(' '));
  console.log(`\n== ${cfg.id}: ${up.join(' ')}`);
  const upRun = spawnSync(up[0], up.slice(1), { cwd: repo, env, stdio: 'inherit' });
  if (upRun.status !== 0) {
    return { id: cfg.id, date: new Date().toISOString(), commands, result: 'cluster did not come up', passed: 0, failed: 0, skipped: 0, failures: [], minutes: (Date.now() - started) / 60000 };
  }
  const cluster = describeCluster(cfg);
  const dir = mkdtempSync(join(tmpdir(), 'dd-compat-'));
  const report = join(dir, 'report.json');
  const envPrefix = Object.entries(cfg.env).map(([k, v]) => `${k}=${v} `).join('');
  const args = ['vitest', 'run', '--project', 'e2e', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...vitestArgs];
  commands.push(`${envPrefix}npx ${args.filter((a) => !a.startsWith('--outputFile') && !a.startsWith('--reporter')).join(' ')}`);
  console.log(`== ${cfg.id}: ${commands[1]}`);
  const t0 = Date.now();
  spawnSync('npx', args, { cwd: repo, env, stdio: 'inherit' });
  const minutes = (Date.now() - t0) / 60000;
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  let skips = [];
  let unlisted = [];
  if (existsSync(report)) {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    // Every test that did not run, with the reason test/skip-allowlist.txt
    // gives for this configuration; one it does not list fails the configuration.
    const { entries } = parseAllowlist(readFileSync(join(repo, 'test/skip-allowlist.txt'), 'utf8'), cfg.id);
    const checked = checkSkips(r, entries, repo);
    skips = checked.allowed.map((a) => ({ test: a.key, reason: a.reason }));
    unlisted = checked.unlisted.map((u) => u.key);
    passed = r.numPassedTests;
    failed = r.numFailedTests;
    skipped = r.numPendingTests + r.numTodoTests;
    for (const file of r.testResults) {
      for (const t of file.assertionResults) {
        if (t.status === 'failed') failures.push(`${file.name.replace(repo, '')} > ${t.ancestorTitles.concat(t.title).join(' > ')}`);
      }
      // A file whose setup failed: its tests are reported skipped, the error is the file's.
      if (file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed')) failures.push(`${file.name.replace(repo, '')}: ${String(file.message).split('\n')[0]}`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const result = !existsSync(report) && passed === 0 ? 'no report' : failed === 0 && failures.length === 0 && unlisted.length === 0 ? 'pass' : 'fail';
  return { id: cfg.id, date: new Date().toISOString(), commit: commitOf(), commands, ...cluster, result, passed, failed, skipped, failures, skips, unlisted, minutes: Math.round(minutes * 10) / 10 };
}

function render(results) {
  const lines = [];
  lines.push('# Compatibility');
  lines.push('');
  lines.push('What the end-to-end suite (`test/e2e`, through the real executable against real clusters built by');
  lines.push('`scripts/cluster`) proved, per configuration. Written by `scripts/test compat` (see');
  lines.push('docs/cluster.md); the raw results are in `docs/compatibility.json`. A configuration that was');
  lines.push('not run by the last `scripts/test compat` keeps its earlier result and date.');
  lines.push('');
  lines.push('| configuration | Kubernetes (API server / kubelet) | runtime | registry | result | tests | date | minutes |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const cfg of CONFIGS) {
    const r = results[cfg.id];
    if (!r) {
      lines.push(`| ${cfg.id} | | | ${cfg.registry} | not run | | | |`);
      continue;
    }
    const tests = `${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}`;
    const last = r.rechecks?.[r.rechecks.length - 1];
    const result = last ? `**${r.result}**; recheck of the failed files: **${last.result}**` : `**${r.result}**`;
    lines.push(`| ${cfg.id} | ${r.kubernetes ?? ''} / ${r.kubelet ?? ''} | ${r.runtime ?? ''} | ${cfg.registry} | ${result} | ${tests} | ${r.date.slice(0, 16).replace('T', ' ')} UTC | ${r.minutes ?? ''} |`);
  }
  lines.push('');
  for (const cfg of CONFIGS) {
    const r = results[cfg.id];
    lines.push(`## ${cfg.id}`);
    lines.push('');
    lines.push(cfg.differs);
    lines.push('');
    if (!r) {
      lines.push('Not run yet.');
      lines.push('');
      continue;
    }
    if (r.commit) {
      lines.push(`Code: commit ${r.commit}.`);
      lines.push('');
    }
    lines.push('Commands:');
    lines.push('');
    lines.push('```');
    for (const c of r.commands) lines.push(c);
    lines.push('```');
    lines.push('');
    if (r.note) {
      lines.push(r.note);
      lines.push('');
    }
    if (r.failures.length > 0) {
      lines.push('Failed:');
      lines.push('');
      for (const f of r.failures) lines.push(`- ${f}`);
      lines.push('');
    }
    if (r.unlisted?.length > 0) {
      lines.push('Skipped without a reason in test/skip-allowlist.txt (counted as a failure):');
      lines.push('');
      for (const f of r.unlisted) lines.push(`- ${f}`);
      lines.push('');
    }
    for (const c of r.rechecks ?? []) {
      lines.push(`Rechecked ${c.date.slice(0, 16).replace('T', ' ')} UTC (commit ${c.commit}), only the files named: **${c.result}**, ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}:`);
      lines.push('');
      lines.push('```');
      lines.push(c.commands[c.commands.length - 1]);
      lines.push('```');
      lines.push('');
      for (const f of c.failures) lines.push(`- failed: ${f}`);
      for (const f of c.unlisted ?? []) lines.push(`- skipped without a reason: ${f}`);
      if (c.failures.length > 0 || c.unlisted?.length > 0) lines.push('');
    }
    if (r.skips?.length > 0) {
      lines.push('Skipped, with the reason test/skip-allowlist.txt gives:');
      lines.push('');
      const byReason = new Map();
      for (const k of r.skips) byReason.set(k.reason, [...(byReason.get(k.reason) ?? []), k.test]);
      for (const [reason, tests] of byReason) {
        lines.push(`- ${reason}:`);
        for (const t of tests) lines.push(`  - ${t}`);
      }
      lines.push('');
    }
  }
  return lines.join('\n');
}

const { only, rest } = parseArgs(process.argv.slice(2));
const jsonPath = join(repo, 'docs/compatibility.json');
const results = existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, 'utf8')) : {};
if (process.argv.includes('--render')) {
  // Only rewrite docs/compatibility.md from docs/compatibility.json.
  writeFileSync(join(repo, 'docs/compatibility.md'), `${render(results)}\n`);
  process.exit(0);
}
if (only && only.length === 0) {
  for (const c of CONFIGS) console.log(`${c.id}\t${Object.entries(c.env).map(([k, v]) => `${k}=${v}`).join(' ') || '(default)'}`);
  process.exit(0);
}
for (const id of only ?? []) {
  if (!CONFIGS.some((c) => c.id === id)) {
    console.error(`error: unknown configuration "${id}"; scripts/test compat --list shows them`);
    process.exit(2);
  }
}
// Test files named on the command line: a recheck of those files (after a
// fix), recorded next to the configuration's last whole-suite run, which it
// does not replace.
const files = rest.filter((a) => !a.startsWith('-') && /\.test\.ts$/.test(a));
let status = 0;
for (const cfg of CONFIGS) {
  if (only && !only.includes(cfg.id)) continue;
  const r = runConfig(cfg, rest);
  if (files.length > 0 && results[cfg.id]) {
    const { id: _id, kubernetes: _k, runtime: _r, kubelet: _l, skips: _s, ...recheck } = r;
    results[cfg.id].rechecks = [...(results[cfg.id].rechecks ?? []), recheck];
  } else {
    results[cfg.id] = r;
  }
  if (r.result !== 'pass') status = 1;
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(repo, 'docs/compatibility.md'), `${render(results)}\n`);
  console.log(`== ${cfg.id}: ${r.result} (${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped, ${r.minutes} min)`);
}
process.exit(status);
