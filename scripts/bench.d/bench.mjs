// Benchmarks: kubectl distroless-debug against kubectl debug/exec, side by side
// in one run on the local cluster, in pairs whose order alternates (A B, then B A) so drift hits both.
// Reports medians, the per-pair ratio ours/peer and its spread, and writes
// docs/benchmarks.md through report.mjs: only what this run measured.
// Run through scripts/bench (it brings the cluster up and builds first).
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, homedir, totalmem, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median, ms, pairRow, ratioStr, renderBenchmarks } from './report.mjs';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CACHE = process.env.DD_CACHE ?? `${homedir()}/.cache/distroless-debug`;
const KUBECONFIG = `${process.env.DD_CLUSTER_STATE ?? `${CACHE}/cluster`}/kubeconfig`;
const KUBECTL = `${CACHE}/bin/kubectl`;
const PLUGIN = `${REPO}/bin/kubectl-distroless_debug`;
const IMAGE = 'docker.io/library/busybox:1.37.0';
const NS = 'bench';
const N = Number(process.env.BENCH_RUNS ?? 7);
const env = { ...process.env, KUBECONFIG };

// The single-file binary, when scripts/release has built it.
const seaArchive = existsSync(`${REPO}/release`)
  ? readdirSync(`${REPO}/release`).find((f) => /^kubectl-distroless-debug_v.*_linux_amd64\.tar\.gz$/.test(f))
  : undefined;
let sea;
if (seaArchive) {
  const dir = `${CACHE}/bench-sea`;
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-xzf', `${REPO}/release/${seaArchive}`, '-C', dir]);
  sea = `${dir}/kubectl-distroless_debug`;
}

// ---------- helpers ----------

function timeSync(cmd, args, opts = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', ...opts });
  const t = performance.now() - t0;
  if (r.status !== (opts.expectCode ?? 0)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { t, r };
}

function kubectl(args, input) {
  return execFileSync(KUBECTL, ['--context', 'admin', ...args], { env, encoding: 'utf8', input });
}

// The ratio ours/peer each row aims for, at most (issue 8: #19, #20).
const GOALS = {
  startup: 1.5,
  newPrompt: 0.5,
  reusePrompt: 0.3,
  roundTrip: 1.0,
  execSameDebugger: 1.1,
};

/** Alternates ours/peer N times; returns medians, per-pair ratios and their spread. */
async function pairs(name, ours, peer, n = N, goal = undefined) {
  const a = [];
  const b = [];
  // The order within a pair alternates (A B, then B A): whatever one run leaves behind
  // (a warm page cache, the runtime still tearing down the last exec) favours both alike.
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      a.push(await ours(i));
      b.push(await peer(i));
    } else {
      b.push(await peer(i));
      a.push(await ours(i));
    }
  }
  const row = pairRow(name, a, b, goal);
  console.log(`${name}: ours ${ms(row.ours)} ms, peer ${ms(row.peer)} ms, ratio ${ratioStr(row.ratio)} (${ratioStr(row.minRatio)}–${ratioStr(row.maxRatio)}, ${n} pairs)`);
  return row;
}

/**
 * Runs a command in a pseudo-terminal (util-linux `script`), returns the time
 * until `prompt` appears on its output, then types `exit`.
 */
function timeToPrompt(cmd, prompt, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { ...env, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let t;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no prompt from ${cmd} within ${timeoutMs} ms; output:\n${out}`));
    }, timeoutMs);
    child.stdout.on('data', (d) => {
      out += d.toString();
      if (t === undefined && prompt.test(out)) {
        t = performance.now() - t0;
        child.stdin.write('exit\r');
      }
    });
    child.on('close', () => {
      clearTimeout(timer);
      if (t === undefined) reject(new Error(`${cmd} ended before its prompt:\n${out}`));
      else resolve(t);
    });
  });
}

function peakRss(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M %e', cmd, ...args], { env, encoding: 'buffer', maxBuffer: 1 << 30 });
  const last = r.stderr.toString().trim().split('\n').pop() ?? '';
  const [kb, secs] = last.split(' ').map(Number);
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${r.stderr}`);
  return { rssMiB: kb / 1024, seconds: secs, bytes: r.stdout.length };
}

async function freshPod(name, image = '127.0.0.1:5000/fixtures/app:nonroot', extra = {}) {
  kubectl(['-n', NS, 'delete', 'pod', name, '--ignore-not-found', '--wait=true', '--grace-period=1']);
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image, ...extra }] },
  };
  kubectl(['apply', '-f', '-'], JSON.stringify(pod));
  kubectl(['-n', NS, 'wait', '--for=condition=Ready', `pod/${name}`, '--timeout=120s']);
  // Settled, as an incident's long-running pod is: right after its start the
  // kubelet holds the pod's next sync (an added debugger too) until a PLEG
  // relist newer than that start, up to 1-2 s, for both tools alike.
  await new Promise((r) => setTimeout(r, SETTLE_MS));
}
const SETTLE_MS = 3000;

// ---------- setup ----------
kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }));
// kubectl debug runs as root unless told; a custom spec gives it the app's user
// so both tools can read /proc/1/root of a nonroot app.
const custom = `${CACHE}/bench-custom.json`;
writeFileSync(custom, JSON.stringify({ securityContext: { runAsUser: 65532, runAsGroup: 65532 } }));
await freshPod('bench-new');
await freshPod('bench-reuse');
await freshPod('bench-tools', IMAGE, { command: ['sleep', '86400'] });
// Warm the image on the node and start our reusable debugger.
timeSync(PLUGIN, ['-n', NS, 'bench-reuse', '-q', '--', 'true']);

const rows = [];
const notes = [];

// 1. Start-up
const nodeFloor = [];
for (let i = 0; i < 15; i++) nodeFloor.push(timeSync(process.execPath, ['-e', '0']).t);
// Node 20 parses the NODE_EXTRA_CA_CERTS file at start-up: what that costs here, measured.
if (process.env.NODE_EXTRA_CA_CERTS) {
  const without = { ...process.env };
  delete without.NODE_EXTRA_CA_CERTS;
  const bare = [];
  for (let i = 0; i < 15; i++) bare.push(timeSync(process.execPath, ['-e', '0'], { env: without }).t);
  notes.push(
    `NODE_EXTRA_CA_CERTS is set here (${process.env.NODE_EXTRA_CA_CERTS}) and every row runs with it, as a user of this machine would: \`node -e 0\` took ${ms(median(nodeFloor))} ms with it and ${ms(median(bare))} ms without it (medians of 15).`,
  );
}
rows.push(await pairs('start-up: --version (npm entry) vs kubectl debug --help', () => timeSync(PLUGIN, ['--version']).t, () => timeSync(KUBECTL, ['debug', '--help']).t, 15, GOALS.startup));
rows.push(await pairs('start-up: --help (npm entry) vs kubectl debug --help', () => timeSync(PLUGIN, ['--help']).t, () => timeSync(KUBECTL, ['debug', '--help']).t, 15, GOALS.startup));
if (sea) {
  rows.push(await pairs('start-up: --version (single binary) vs kubectl debug --help', () => timeSync(sea, ['--version']).t, () => timeSync(KUBECTL, ['debug', '--help']).t, 15, GOALS.startup));
} else {
  notes.push('The single-file binary was not built (scripts/release), so its start-up is not in this run.');
}

// What a krew install runs: the single binary when scripts/release built it.
const fast = sea ?? PLUGIN;
const fastLabel = sea ? 'single binary' : 'npm entry';

// 2. Time to first prompt, new debugger (image on the node already)
// BusyBox's line editor follows its prompt with a cursor-position query (ESC[6n).
const ourPrompt = /\[debug pod\/\S+ app\] \/ \$ /;
const peerPrompt = /(^|[\r\n])(\/ \$|~ \$|\/ #) /;
rows.push(
  await pairs(
    `first prompt, new debugger on a fresh pod (${fastLabel}) vs kubectl debug -it`,
    // A pod of its own for every run, created (and Ready) before the clock
    // starts: the first debugger of an incident, and no run waits behind the
    // kubelet's work on the other tool's debugger in a shared pod.
    async (i) => {
      await freshPod(`bench-first-ours-${i}`);
      return timeToPrompt(`${fast} -n ${NS} bench-first-ours-${i}`, ourPrompt);
    },
    async (i) => {
      await freshPod(`bench-first-peer-${i}`);
      return timeToPrompt(`${KUBECTL} --context admin -n ${NS} debug -it bench-first-peer-${i} --image=${IMAGE} --target=app --profile=general --custom=${custom} -- sh`, peerPrompt);
    },
    5,
    GOALS.newPrompt,
  ),
);

// 3. Time to first prompt, debugger already running (reuse) vs kubectl debug (always new)
rows.push(
  await pairs(
    `first prompt, running debugger (reuse, ${fastLabel}) vs kubectl debug -it`,
    () => timeToPrompt(`${fast} -n ${NS} bench-reuse`, ourPrompt),
    () => timeToPrompt(`${KUBECTL} --context admin -n ${NS} debug -it bench-new --image=${IMAGE} --target=app --profile=general --custom=${custom} -- sh`, peerPrompt),
    5,
    GOALS.reusePrompt,
  ),
);

// 4. Non-interactive command round trip
rows.push(
  await pairs(
    'command round trip: -- cat etc/app-variant vs kubectl debug -i -- cat /proc/1/root/...',
    () => {
      const { t, r } = timeSync(PLUGIN, ['-n', NS, 'bench-reuse', '-q', '--', 'cat', 'etc/app-variant']);
      if (r.stdout !== 'nonroot\n') throw new Error(`unexpected output ${r.stdout}`);
      return t;
    },
    () => timeSync(KUBECTL, ['--context', 'admin', '-n', NS, 'debug', '-i', '--quiet', 'bench-new', `--image=${IMAGE}`, '--target=app', '--profile=general', `--custom=${custom}`, '--', 'cat', '/proc/1/root/etc/app-variant']).t,
    5,
    GOALS.roundTrip,
  ),
);

// 4b. The same command on the running debugger against `kubectl exec` into
// that very debugger: what our checks and requests cost over kubectl's one.
const reusePod = JSON.parse(kubectl(['-n', NS, 'get', 'pod', 'bench-reuse', '-o', 'json']));
const runningDebugger = (reusePod.status.ephemeralContainerStatuses ?? []).find((c) => c.state?.running)?.name;
if (!runningDebugger) throw new Error('bench-reuse has no running debugger to exec into');
rows.push(
  await pairs(
    `command on the running debugger: -- cat etc/app-variant (${sea ? 'single binary' : 'npm entry'}) vs kubectl exec into the same debugger`,
    () => {
      const { t, r } = timeSync(fast, ['-n', NS, 'bench-reuse', '-q', '--', 'cat', 'etc/app-variant']);
      if (r.stdout !== 'nonroot\n') throw new Error(`unexpected output ${r.stdout}`);
      return t;
    },
    () => {
      const { t, r } = timeSync(KUBECTL, ['--context', 'admin', '-n', NS, 'exec', 'bench-reuse', '-c', runningDebugger, '--', 'cat', '/proc/1/root/etc/app-variant']);
      if (r.stdout !== 'nonroot\n') throw new Error(`unexpected kubectl exec output ${r.stdout}`);
      return t;
    },
    // 31 pairs: tens of ms of noise on a 150 ms command need more than 15 for a stable median.
    31,
    GOALS.execSameDebugger,
  ),
);
// What this machine's NODE_EXTRA_CA_CERTS costs that row: Node parses the file
// (and its own root store) for the first TLS context; Go's TLS does not read it.
if (process.env.NODE_EXTRA_CA_CERTS) {
  const bare = { ...env };
  delete bare.NODE_EXTRA_CA_CERTS;
  const row = await pairs(
    'command on the running debugger, NODE_EXTRA_CA_CERTS unset for both',
    () => timeSync(fast, ['-n', NS, 'bench-reuse', '-q', '--', 'cat', 'etc/app-variant'], { env: bare }).t,
    () => timeSync(KUBECTL, ['--context', 'admin', '-n', NS, 'exec', 'bench-reuse', '-c', runningDebugger, '--', 'cat', '/proc/1/root/etc/app-variant'], { env: bare }).t,
    31,
  );
  notes.push(
    `The command on the running debugger again with NODE_EXTRA_CA_CERTS unset for both tools (31 pairs, not a goal row): ours ${ms(row.ours)} ms, kubectl exec ${ms(row.peer)} ms, ratio ${ratioStr(row.ratio)} (${ratioStr(row.minRatio)}–${ratioStr(row.maxRatio)}).`,
  );
}
const ours7 = spawnSync(PLUGIN, ['-n', NS, 'bench-reuse', '-q', '--', 'sh', '-c', 'exit 7'], { env });
const peer7 = spawnSync(KUBECTL, ['--context', 'admin', '-n', NS, 'debug', '-i', '--quiet', 'bench-new', `--image=${IMAGE}`, '--target=app', '--profile=general', `--custom=${custom}`, '--', 'sh', '-c', 'exit 7'], { env });
notes.push(`Exit code of \`-- sh -c 'exit 7'\`: ours ${ours7.status}, kubectl debug ${peer7.status}.`);

// 4c. Pod completion against kubectl's own (scripts/bench.d/completion.mjs)
rows.push(...(await (await import('./completion.mjs')).benchCompletion({ kubectl: KUBECTL, repo: REPO, sea, env, ns: NS, notes })));

// 5. Stream throughput: 200 MiB through stdout
const size = 200 * 1024 * 1024;
const thr = { ours: [], peer: [], ratios: [], rss: [] };
for (let i = 0; i < 3; i++) {
  const o = peakRss(sea ?? PLUGIN, ['-n', NS, 'bench-reuse', '-q', '--', 'head', '-c', String(size), '/dev/zero']);
  const p = peakRss(KUBECTL, ['--context', 'admin', '-n', NS, 'exec', 'bench-tools', '--', 'head', '-c', String(size), '/dev/zero']);
  if (o.bytes !== size || p.bytes !== size) throw new Error(`throughput runs moved ${o.bytes} and ${p.bytes} bytes, not ${size}`);
  const mbO = size / 1048576 / o.seconds;
  const mbP = size / 1048576 / p.seconds;
  thr.ours.push(mbO);
  thr.peer.push(mbP);
  thr.ratios.push(mbO / mbP);
  thr.rss.push(o.rssMiB);
}
const throughput = {
  mib: size / 1048576,
  n: thr.ours.length,
  ours: median(thr.ours),
  peer: median(thr.peer),
  ratio: median(thr.ratios),
  minRatio: Math.min(...thr.ratios),
  maxRatio: Math.max(...thr.ratios),
  rssMiB: Math.max(...thr.rss),
  goal: 1.0,
  rssGoalMiB: 100,
};
console.log(`throughput 200 MiB: ours ${throughput.ours.toFixed(0)} MiB/s, kubectl exec ${throughput.peer.toFixed(0)} MiB/s, ratio ${ratioStr(throughput.ratio)}, our peak RSS ${throughput.rssMiB.toFixed(0)} MiB`);

// 6. Per-phase breakdown of our time to prompt (a new debugger, -v timings)
const phases = new Map();
for (let i = 0; i < 3; i++) {
  const r = spawnSync(PLUGIN, ['-n', NS, 'bench-new', '--new', '-v', '--', 'echo', 'ready'], { env, encoding: 'utf8' });
  for (const m of r.stderr.matchAll(/\[timing\] (.+) (\d+) ms/g)) {
    const list = phases.get(m[1]) ?? [];
    list.push(Number(m[2]));
    phases.set(m[1], list);
  }
}

// 7. Scale: list -A over a synthetic fleet of 10,000 pods (scripts/bench.d/fleet.mjs; deleted afterwards)
{ const fleet = await (await import('./fleet.mjs')).fleetBench({ n: 5 }); rows.push(fleet.row); notes.push(...fleet.notes); }
// 8. cp against kubectl cp (scripts/bench.d/cp.mjs)
const cpRows = await (await import('./cp.mjs')).benchCp({ plugin: sea ?? PLUGIN, pluginLabel: fastLabel, kubectl: KUBECTL, env, ns: NS });

// ---------- report ----------
const version = (cmd, args) => spawnSync(cmd, args, { env, encoding: 'utf8' }).stdout.trim().split('\n')[0];
const serverVersion = JSON.parse(kubectl(['version', '-o', 'json'])).serverVersion?.gitVersion ?? 'unknown';
const runtime = kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].status.nodeInfo.containerRuntimeVersion}']).trim() || 'unknown';
const floor = median(nodeFloor);
const npmVersion = rows.find((r) => r.name.startsWith('start-up: --version (npm entry)'));
if (npmVersion) notes.push(`A bare \`node -e 0\` took ${ms(floor)} ms (median of ${nodeFloor.length}) in this run, against ${ms(npmVersion.ours)} ms for the npm entry's \`--version\`.`);
const page = renderBenchmarks({
  date: new Date().toISOString().slice(0, 10),
  machine: { cores: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: totalmem() / 2 ** 30, kernel: release(), node: process.version },
  versions: { plugin: version(PLUGIN, ['--version']), kubectl: version(KUBECTL, ['version', '--client']), server: serverVersion, runtime },
  floorMs: floor,
  rows,
  throughput,
  phaseRuns: 3,
  phaseCommand: '`kubectl distroless-debug -n bench POD --new -v -- echo ready`, phases as its `[timing]` lines name them.',
  phases: [...phases],
  commands: [
    `start-up: \`kubectl-distroless_debug --version\` / \`--help\` vs \`kubectl debug --help\`${sea ? `; single binary from \`release/${seaArchive}\` (\`--version\`)` : ''}`,
    `first prompt: \`${sea ? 'single binary' : 'kubectl-distroless_debug'} -n ${NS} POD\` (new debugger: a fresh pod of its own per run, for both tools, created, Ready and then left ${SETTLE_MS / 1000} s to settle before the clock starts, as an incident's long-running pod is: a pod that has just started makes the kubelet hold an added container until its next PLEG relist; running debugger: one pod reused) vs \`kubectl debug -it POD --image=${IMAGE} --target=app --custom=<runAsUser/runAsGroup 65532> -- sh\`, both in a pseudo-terminal (util-linux \`script\`), timed until the prompt appears (kubectl debug -it prints its prompt once it has attached)`,
    `round trip: \`kubectl distroless-debug -n ${NS} POD -q -- cat etc/app-variant\` vs \`kubectl debug -i --quiet POD --image=${IMAGE} --target=app --custom=... -- cat /proc/1/root/etc/app-variant\``,
    `command on the running debugger: \`${sea ? 'single binary' : 'kubectl-distroless_debug'} -n ${NS} POD -q -- cat etc/app-variant\` vs \`kubectl exec POD -c <that debugger> -- cat /proc/1/root/etc/app-variant\``,
    `throughput: \`${sea ? 'single binary' : 'kubectl-distroless_debug'} -n ${NS} POD -q -- head -c ${size} /dev/zero\` vs \`kubectl exec bench-tools -- head -c ${size} /dev/zero\` (a BusyBox pod), peak RSS from \`/usr/bin/time -f %M\``,
  ],
  notes,
});
writeFileSync(`${REPO}/docs/benchmarks.md`, `${page.trimEnd()}\n\n${cpRows.section}\n`);
console.log(`wrote docs/benchmarks.md`);
