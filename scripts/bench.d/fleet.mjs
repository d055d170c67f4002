// The scale row of scripts/bench (issue 12): `list -A` over a synthetic fleet
// of FLEET_PODS pods (default 10,000) in a namespace of its own, side by side
// with `kubectl get pods -A -o json` piped to a filter that extracts the same
// rows (jq if installed, else node), plus our peak RSS.
//
// The fleet never runs anything: its pods name a scheduler that does not
// exist, so no scheduler binds them, no kubelet starts them, and the pod
// garbage collector (which deletes pods bound to a node that does not exist)
// leaves them alone. FLEET_DEBUGGERS of them (default 300) get a debugger in
// their spec through the pods/ephemeralcontainers subresource, shaped like the
// plugin's own (name, DD_* env, record). Creation is slow on a small machine,
// so a complete fleet from an earlier run is reused (FLEET_KEEP=1 keeps it
// after the run; by default it is deleted at the end, so it does not slow the
// API server for anyone else).
//
// Run alone: `node scripts/bench.d/fleet.mjs` (prints the row); scripts/bench
// calls fleetBench() once.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, pairRow } from './report.mjs';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CACHE = process.env.DD_CACHE ?? `${homedir()}/.cache/distroless-debug`;
const KUBECONFIG = `${process.env.DD_CLUSTER_STATE ?? `${CACHE}/cluster`}/kubeconfig`;
const KUBECTL = `${CACHE}/bin/kubectl`;
const PLUGIN = `${REPO}/bin/kubectl-distroless_debug`;
export const FLEET_NS = 'dd-fleet';
const PODS = Number(process.env.FLEET_PODS ?? 10_000);
const DEBUGGERS = Number(process.env.FLEET_DEBUGGERS ?? 300);
const env = { ...process.env, KUBECONFIG };
const LABEL = 'distroless-debug/fleet';

const kubectl = async (args, input) => {
  const child = run(KUBECTL, ['--context', 'admin', ...args], { env, maxBuffer: 1 << 30 });
  if (input !== undefined) {
    child.child.stdin.end(input);
  }
  return (await child).stdout;
};

const podName = (i) => `fleet-${String(i).padStart(5, '0')}`;

function pod(i) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podName(i), namespace: FLEET_NS, labels: { [LABEL]: 'yes', shard: String(i % 10) } },
    spec: {
      schedulerName: 'dd-fleet-no-such-scheduler',
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'app', image: '127.0.0.1:5000/fixtures/app:nonroot', env: [{ name: 'FLEET_INDEX', value: String(i) }] }],
    },
  };
}

function debuggerOf(i) {
  return {
    name: `distroless-debug-fl${String(i).padStart(6, '0')}`,
    image: 'docker.io/library/busybox:1.37.0',
    command: ['/bin/sh', '-c', 'sleep 1', 'distroless-debug-keeper'],
    targetContainerName: 'app',
    securityContext: { runAsUser: 65532, runAsGroup: 65532, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    env: [
      { name: 'DD_MODE', value: 'exec' },
      { name: 'DD_IDLE_TIMEOUT', value: '600' },
      { name: 'DD_OPENED_BY', value: `user-${i % 7}` },
      { name: 'DD_OPENED_AT', value: '2026-11-28T10:00:00Z' },
      { name: 'DD_PLUGIN_VERSION', value: 'fleet' },
      { name: 'DD_REASON', value: `INC-${i}` },
    ],
    terminationMessagePolicy: 'File',
  };
}

/** Every n-th pod has a debugger: spread across the key range, so every page holds some. */
const withDebugger = () => {
  const step = Math.max(1, Math.floor(PODS / DEBUGGERS));
  return Array.from({ length: Math.min(DEBUGGERS, PODS) }, (_, k) => k * step);
};

async function inParallel(items, limit, f) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await f(items[next++]);
    }),
  );
}

async function countFleet() {
  const out = await kubectl(['get', 'pods', '-n', FLEET_NS, '-l', LABEL, '-o', 'name', '--chunk-size=2000']).catch(() => '');
  const pods = out.split('\n').filter(Boolean).length;
  const json = await kubectl(['get', 'pods', '-n', FLEET_NS, '-l', LABEL, '-o', 'jsonpath={range .items[*]}{.spec.ephemeralContainers[0].name}{"\\n"}{end}', '--chunk-size=2000']).catch(() => '');
  return { pods, debuggers: json.split('\n').filter(Boolean).length };
}

/** Creates what is missing of the fleet: pods in batches of 500 (kubectl create -f a List), 4 at a time, then the debuggers. */
export async function ensureFleet(log = console.log) {
  const t0 = performance.now();
  await kubectl(['create', 'namespace', FLEET_NS]).catch(() => undefined);
  const have = await countFleet();
  if (have.pods >= PODS && have.debuggers >= DEBUGGERS) {
    log(`fleet: reusing ${have.pods} pods (${have.debuggers} with a debugger) in namespace ${FLEET_NS}`);
    return { created: false, seconds: 0 };
  }
  const existing = new Set((await kubectl(['get', 'pods', '-n', FLEET_NS, '-o', 'name', '--chunk-size=2000'])).split('\n').filter(Boolean).map((n) => n.replace('pod/', '')));
  const missing = Array.from({ length: PODS }, (_, i) => i).filter((i) => !existing.has(podName(i)));
  const batches = [];
  for (let i = 0; i < missing.length; i += 500) batches.push(missing.slice(i, i + 500));
  let done = 0;
  await inParallel(batches, 4, async (batch) => {
    await kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: batch.map(pod) }));
    done += batch.length;
    log(`fleet: ${done}/${missing.length} pods created`);
  });
  const patched = new Set(
    (await kubectl(['get', 'pods', '-n', FLEET_NS, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.ephemeralContainers[0].name}{"\\n"}{end}', '--chunk-size=2000']))
      .split('\n')
      .filter((l) => l.split(' ')[1])
      .map((l) => l.split(' ')[0]),
  );
  const todo = withDebugger().filter((i) => !patched.has(podName(i)));
  let n = 0;
  await inParallel(todo, 6, async (i) => {
    await kubectl(['-n', FLEET_NS, 'patch', 'pod', podName(i), '--subresource=ephemeralcontainers', '--type=strategic', '-p', JSON.stringify({ spec: { ephemeralContainers: [debuggerOf(i)] } })]);
    if (++n % 50 === 0) log(`fleet: ${n}/${todo.length} debuggers added`);
  });
  const seconds = (performance.now() - t0) / 1000;
  log(`fleet: ready in ${seconds.toFixed(0)} s`);
  return { created: true, seconds };
}

export async function deleteFleet(log = console.log) {
  // Force: nothing runs, so there is nothing to wait for.
  await kubectl(['delete', 'pods', '--all', '-n', FLEET_NS, '--grace-period=0', '--force', '--wait=false']).catch(() => undefined);
  await kubectl(['delete', 'namespace', FLEET_NS, '--wait=false', '--ignore-not-found']);
  // Removing 10,000 pods keeps the API server and etcd busy for minutes: rows
  // measured meanwhile (cp comes next) would measure that. Wait until it is gone.
  const t0 = performance.now();
  for (;;) {
    const gone = await kubectl(['get', 'namespace', FLEET_NS, '--ignore-not-found', '-o', 'name']).then((out) => out.trim() === '');
    if (gone) break;
    if (performance.now() - t0 > 600_000) throw new Error(`namespace ${FLEET_NS} still exists 10 minutes after its deletion`);
    await new Promise((r) => setTimeout(r, 2000));
  }
  log(`fleet: namespace ${FLEET_NS} deleted (gone after ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}

// The same rows as `list -A`: namespace, pod, debugger, target, identity, state, opened by, reason.
const JQ_FILTER =
  '.items[] | select(.spec.ephemeralContainers != null) | . as $p | .spec.ephemeralContainers[] | . as $c | ' +
  '(($p.status.ephemeralContainerStatuses // []) | map(select(.name == $c.name)) | .[0].state // {} | keys | .[0] // "starting") as $state | ' +
  '(($c.env // []) | map({(.name): .value}) | add // {}) as $e | ' +
  '[$p.metadata.namespace, $p.metadata.name, $c.name, ($c.targetContainerName // "<none>"), ' +
  '(if $c.securityContext.runAsUser then "\\($c.securityContext.runAsUser):\\($c.securityContext.runAsGroup)" else "<none>" end), ' +
  '$state, ($e.DD_OPENED_BY // "<none>"), ($e.DD_REASON // "<none>")] | @tsv';

const NODE_FILTER = `let s='';process.stdin.setEncoding('utf8').on('data',d=>s+=d).on('end',()=>{const out=[];for(const p of JSON.parse(s).items){for(const c of p.spec.ephemeralContainers??[]){const st=(p.status.ephemeralContainerStatuses??[]).find(x=>x.name===c.name)?.state??{};const e=Object.fromEntries((c.env??[]).map(v=>[v.name,v.value]));out.push([p.metadata.namespace,p.metadata.name,c.name,c.targetContainerName??'<none>',c.securityContext?.runAsUser!==undefined?c.securityContext.runAsUser+':'+c.securityContext.runAsGroup:'<none>',Object.keys(st)[0]??'starting',e.DD_OPENED_BY??'<none>',e.DD_REASON??'<none>'].join('\\t'))}}process.stdout.write(out.join('\\n')+'\\n')})`;

const hasJq = spawnSync('jq', ['--version']).status === 0;
const shellQuote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
const peerCommand = `${KUBECTL} --context admin get pods -A -o json | ${hasJq ? `jq -r ${shellQuote(JQ_FILTER)}` : `node -e ${shellQuote(NODE_FILTER)}`}`;

/** Wall time, peak RSS (KiB, /usr/bin/time: the largest process of the tree) and stdout of one command. */
function measure(cmd, args) {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const t = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
  const rssKiB = Number(r.stderr.trim().split('\n').pop());
  return { t, rssMiB: rssKiB / 1024, stdout: r.stdout };
}

/**
 * The row: `list -A --no-headers` vs the peer pipeline, alternating, n pairs.
 * Both must find the same number of rows (the fleet's debuggers and every
 * other ephemeral container in the cluster).
 */
export async function fleetBench({ n = 5, log = console.log } = {}) {
  const made = await ensureFleet(log);
  try {
    const ours = [];
    const peer = [];
    const rss = [];
    const peerRss = [];
    let counts;
    for (let i = 0; i < n; i++) {
      const o = measure(PLUGIN, ['list', '-A', '--no-headers']);
      const p = measure('sh', ['-c', peerCommand]);
      // Other runs may add debuggers elsewhere meanwhile: the fleet's rows must match exactly.
      const inFleet = (out, sep) => out.split('\n').filter((l) => l.split(sep)[0] === FLEET_NS).length;
      const oRows = o.stdout.split('\n').filter(Boolean).length;
      const pRows = p.stdout.split('\n').filter(Boolean).length;
      if (inFleet(o.stdout, / +/) !== DEBUGGERS || inFleet(p.stdout, '\t') !== DEBUGGERS) {
        throw new Error(`in namespace ${FLEET_NS} list -A found ${inFleet(o.stdout, / +/)} rows, the peer ${inFleet(p.stdout, '\t')}; expected ${DEBUGGERS} each`);
      }
      counts = oRows;
      ours.push(o.t);
      peer.push(p.t);
      rss.push(o.rssMiB);
      peerRss.push(p.rssMiB);
      log(`fleet: list -A ${o.t.toFixed(0)} ms (${o.rssMiB.toFixed(0)} MiB), peer ${p.t.toFixed(0)} ms (${p.rssMiB.toFixed(0)} MiB), ${oRows} rows`);
    }
    const row = pairRow(`list -A over ${PODS} pods (${counts} ephemeral containers) vs kubectl get pods -A -o json piped to ${hasJq ? "jq" : "node"} (same rows)`, ours, peer, 1.0);
    const notes = [
      `Fleet: ${PODS} pods in namespace ${FLEET_NS} that never run (a scheduler name that does not exist), ${DEBUGGERS} of them with a debugger added through pods/ephemeralcontainers; ${made.created ? `created for this run in ${made.seconds.toFixed(0)} s` : 'reused from an earlier run'}. Both sides found the fleet's ${DEBUGGERS} debuggers (${counts} rows in all, with the rest of the cluster).`,
      `list -A peak RSS (\`/usr/bin/time -f %M\`): ${Math.max(...rss).toFixed(0)} MiB at most over ${n} runs (median ${median(rss).toFixed(0)} MiB; goal < 150 MiB: ${Math.max(...rss) < 150 ? 'met' : 'not met'}); the peer pipeline's largest process: ${Math.max(...peerRss).toFixed(0)} MiB.`,
      `Peer command: \`kubectl get pods -A -o json | ${hasJq ? 'jq -r FILTER' : 'node -e FILTER'}\` with a filter printing namespace, pod, container, target, identity, state, opened by and reason per ephemeral container (scripts/bench.d/fleet.mjs).`,
    ];
    return { row, notes, rssMiB: Math.max(...rss) };
  } finally {
    if (process.env.FLEET_KEEP !== '1') await deleteFleet(log);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!existsSync(`${REPO}/dist/cli/main.js`)) throw new Error('build first: npx tsc -p tsconfig.build.json');
  const { row, notes } = await fleetBench({ n: Number(process.env.BENCH_RUNS ?? 5) });
  console.log(JSON.stringify(row));
  for (const n of notes) console.log(n);
}
