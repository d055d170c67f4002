// Completion rows: `kubectl __complete distroless-debug -n NS ''` (kubectl
// runs our kubectl_complete-distroless_debug, found on PATH) against
// `kubectl __complete exec -n NS ''` (kubectl's own pod completion), in the
// same namespace, in pairs whose order alternates (A B, then B A). Called once from bench.mjs; the rows
// join the page's table and the notes say what was run. `node
// scripts/bench.d/completion.mjs [NS] [RUNS]` alone prints the rows (it does
// not touch docs/benchmarks.md).
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { pairRow, ms, ratioStr } from './report.mjs';

// Completion must feel like kubectl's own: no slower (issue 9 #7).
const GOAL = 1.0;

function timed(cmd, args, env) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  const t = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { t, out: r.stdout };
}

/** Pod names a completion printed (cobra format: one per line, then :DIRECTIVE). */
const podsIn = (out) => out.split('\n').filter((l) => l && !l.startsWith(':') && !l.includes('/')).map((l) => l.split('\t')[0]);

/**
 * @param {{ kubectl: string, repo: string, sea?: string, env: NodeJS.ProcessEnv, ns: string, runs?: number, notes: string[] }} o
 * @returns {Promise<Array<ReturnType<typeof pairRow>>>}
 */
export async function benchCompletion(o) {
  const runs = o.runs ?? 15;
  const entries = [['npm entry', `${o.repo}/bin`]];
  // The release archive holds the single executable and its completion script side by side.
  if (o.sea) entries.push(['single binary', o.sea.slice(0, o.sea.lastIndexOf('/'))]);
  const ours = ['__complete', 'distroless-debug', '-n', o.ns, ''];
  const peer = ['__complete', 'exec', '-n', o.ns, ''];
  const rows = [];
  for (const [label, dir] of entries) {
    const env = { ...o.env, PATH: `${dir}:${o.env.PATH ?? ''}` };
    // Same answer first: every running pod kubectl lists is offered (kubectl
    // also offers pods that are not running, which we leave out).
    const got = new Set(podsIn(timed(o.kubectl, ours, env).out));
    const running = execFileSync(o.kubectl, ['--context', 'admin', '-n', o.ns, 'get', 'pods', '--field-selector=status.phase=Running', '-o', 'jsonpath={.items[*].metadata.name}'], {
      env,
      encoding: 'utf8',
    })
      .split(' ')
      .filter(Boolean);
    const missing = running.filter((p) => !got.has(p));
    if (running.length === 0 || missing.length > 0) throw new Error(`completion (${label}) in ${o.ns} misses running pods: ${missing.join(' ') || '(no running pods)'}`);
    const a = [];
    const b = [];
    // Pairs in alternating order (A B, then B A), as bench.mjs's pairs().
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 0) {
        a.push(timed(o.kubectl, ours, env).t);
        b.push(timed(o.kubectl, peer, env).t);
      } else {
        b.push(timed(o.kubectl, peer, env).t);
        a.push(timed(o.kubectl, ours, env).t);
      }
    }
    const row = pairRow(`pod completion: kubectl __complete distroless-debug (${label}) vs kubectl __complete exec`, a, b, GOAL);
    console.log(`${row.name}: ours ${ms(row.ours)} ms, peer ${ms(row.peer)} ms, ratio ${ratioStr(row.ratio)} (${ratioStr(row.minRatio)}–${ratioStr(row.maxRatio)}, ${runs} pairs)`);
    rows.push(row);
    o.notes.push(
      `Pod completion (${label}): \`PATH=${dir === `${o.repo}/bin` ? '<repo>/bin' : '<release archive>'}:$PATH kubectl __complete distroless-debug -n ${o.ns} ''\` vs \`kubectl __complete exec -n ${o.ns} ''\`, ${running.length} running pods in the namespace; both listed every one of them before the clock started.`,
    );
  }
  return rows;
}

// Alone: `node scripts/bench.d/completion.mjs [NS] [RUNS]`.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const REPO = fileURLToPath(new URL('../..', import.meta.url));
  const CACHE = process.env.DD_CACHE ?? `${homedir()}/.cache/distroless-debug`;
  const env = { ...process.env, KUBECONFIG: `${process.env.DD_CLUSTER_STATE ?? `${CACHE}/cluster`}/kubeconfig` };
  let sea;
  const archive = existsSync(`${REPO}/release`) ? readdirSync(`${REPO}/release`).find((f) => /^kubectl-distroless-debug_v.*_linux_amd64\.tar\.gz$/.test(f)) : undefined;
  if (archive) {
    // A directory of its own: scripts/bench may be unpacking its archive into bench-sea meanwhile.
    const dir = mkdtempSync(`${tmpdir()}/dd-bench-completion-`);
    execFileSync('tar', ['-xzf', `${REPO}/release/${archive}`, '-C', dir]);
    sea = `${dir}/kubectl-distroless_debug`;
  }
  const notes = [];
  await benchCompletion({ kubectl: `${CACHE}/bin/kubectl`, repo: REPO, sea, env, ns: process.argv[2] ?? 'demo', runs: Number(process.argv[3] ?? 15), notes });
  for (const n of notes) console.log(`- ${n}`);
}
