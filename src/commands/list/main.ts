import type { MainIO } from '../../cli/main.js';
import { UsageError } from '../../errors.js';
import { loadConnection } from '../../kubeconfig/load.js';
import { KubeClient } from '../../kube/rest.js';
import { outputRecycler } from '../../stream/memory.js';
import { execCapture, inParallel } from './exec.js';
import { DEFAULT_CHUNK, podPages, type Scope } from './fetch.js';
import { parseFlags, withApiWarnings, type ParsedFlags } from './flags.js';
import type { WarningLog } from '../../kube/warnings.js';
import { parseProbe, probeScript } from './idle.js';
import { compareRows, rowsOf, type DebuggerRow } from './rows.js';
import { OTHER_TOOL, renderTable, stateCell, type Activity } from './table.js';

export const LIST_HELP = `List the debuggers in pods: every ephemeral container this plugin added, with who
opened it, when and why, and (marked "${OTHER_TOOL}") other tools' ephemeral containers.

Usage:
  kubectl distroless-debug list [POD | -n NAMESPACE | -A] [-l SELECTOR] [-o wide|json|yaml] [--no-headers]

Options:
  -A, --all-namespaces   every namespace (needs "list pods" cluster-wide)
  -n, --namespace NS     this namespace (default: the context's)
  -l, --selector SEL     only pods matching this label selector
  -o, --output FORMAT    wide: also mode, image, when opened, plugin version, and for
                         running debuggers how long they have been idle (one exec each:
                         needs "create pods/exec"); json, yaml: every field
      --no-headers       no header line
      --chunk-size N     pods per API request (default ${DEFAULT_CHUNK}, as kubectl)
  plus kubectl's --context, --kubeconfig, --cluster, --user, --as, --as-group,
  --request-timeout, -v

Prints "No debuggers found ..." on stderr and exits 0 when there are none.
`;

const SPEC = {
  strings: ['output', 'selector', 'chunk-size'],
  booleans: ['all-namespaces', 'no-headers', 'help'],
  aliases: { o: 'output', l: 'selector', A: 'all-namespaces', h: 'help' },
} as const;

export type ListFormat = 'table' | 'wide' | 'json' | 'yaml';

export async function run(argv: string[], io: MainIO): Promise<number> {
  const f = parseFlags(argv, SPEC, 'list');
  return withApiWarnings(f, io, (warnings) => listWith(f, io, warnings));
}

async function listWith(f: ParsedFlags, io: MainIO, warnings: WarningLog): Promise<number> {
  if (f.booleans.has('help')) {
    io.stdout.write(LIST_HELP);
    return 0;
  }
  const output = f.strings.get('output');
  if (output !== undefined && !['wide', 'json', 'yaml'].includes(output)) {
    throw new UsageError(`-o/--output for list must be one of wide, json, yaml; got "${output}"`);
  }
  const format: ListFormat = (output as ListFormat | undefined) ?? 'table';
  if (f.positional.length > 1) throw new UsageError(`list takes at most one pod name, got "${f.positional.join(' ')}"; see kubectl distroless-debug list --help`);
  const all = f.booleans.has('all-namespaces');
  const podArg = f.positional[0]?.replace(/^(pod|pods|po)\//, '');
  const selector = f.strings.get('selector');
  if (podArg !== undefined && all) throw new UsageError('a pod name and -A/--all-namespaces cannot be used together: a pod lives in one namespace; drop one');
  if (podArg !== undefined && selector !== undefined) throw new UsageError('a pod name and -l/--selector cannot be used together; drop one');
  if (podArg !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(podArg)) throw new UsageError(`"${podArg}" cannot be a pod name; check the name`);
  const chunkRaw = f.strings.get('chunk-size');
  const chunk = chunkRaw === undefined ? DEFAULT_CHUNK : Number(chunkRaw);
  if (!Number.isInteger(chunk) || chunk < 1) throw new UsageError(`--chunk-size must be a whole number of pods, at least 1; got "${chunkRaw}"`);

  if (f.verbose) for (const note of f.notes) io.stderr.write(`${note}\n`);
  const conn = await loadConnection(f.kube, io.env);
  const log = f.verbose ? (line: string) => io.stderr.write(`${line}\n`) : undefined;
  const kube = new KubeClient(conn, log, (t) => warnings.add(t));
  const ns = conn.namespace;
  const scope: Scope = podArg !== undefined ? { kind: 'pod', namespace: ns, pod: podArg } : all ? { kind: 'all' } : { kind: 'namespace', namespace: ns };

  // Only the rows are kept: each page of pods is dropped once read, so the
  // memory is one page plus the (few) debuggers, whatever the cluster's size.
  const rows: DebuggerRow[] = [];
  // V8 would let dropped pages pile up for a while before collecting them:
  // one full collection per page (a few ms, against hundreds for the page
  // itself) keeps the peak near one page (measured: 118 → ~90 MiB for 10,000 pods).
  const recycle = outputRecycler(1, 'major');
  for await (const page of podPages(kube, scope, selector, chunk)) {
    for (const pod of page) for (const r of rowsOf(pod)) rows.push(r);
    recycle(1);
  }
  // Pages come in key order already; a stable sort keeps each pod's debuggers in the order they were added.
  rows.sort(compareRows);

  const probed = format === 'wide' ? await probeActivity(conn, rows, io.stderr) : undefined;

  if (format === 'json' || format === 'yaml') {
    const doc = { apiVersion: 'distroless-debug/v1', kind: 'DebuggerList', items: rows.map((r) => toItem(r)) };
    if (format === 'json') io.stdout.write(`${JSON.stringify(doc, null, 4)}\n`);
    else {
      const { dump } = await import('js-yaml');
      io.stdout.write(dump(doc, { noRefs: true, lineWidth: -1 }));
    }
    return 0;
  }
  if (rows.length === 0) {
    // kubectl's words and place (stderr, exit 0) for an empty `get`.
    io.stderr.write(scope.kind === 'all' ? 'No debuggers found\n' : scope.kind === 'pod' ? `No debuggers found in pod ${scope.pod} (namespace ${ns}).\n` : `No debuggers found in ${ns} namespace.\n`);
    return 0;
  }
  io.stdout.write(renderTable(rows, { wide: format === 'wide', headers: !f.booleans.has('no-headers'), namespaces: scope.kind === 'all', now: Date.now(), activity: probed }));
  return 0;
}

/** The JSON/YAML shape of a row: every field, nothing computed from the local clock. */
function toItem(r: DebuggerRow): Record<string, unknown> {
  return {
    namespace: r.namespace,
    pod: r.pod,
    name: r.name,
    tool: r.ours ? 'distroless-debug' : 'other',
    target: r.target || null,
    image: r.image,
    identity: r.identity ?? null,
    profile: r.profile ?? null,
    mode: r.mode ?? null,
    idleTimeoutSeconds: r.idleTimeoutSeconds ?? null,
    state: r.state,
    summary: stateCell(r, undefined),
    record: r.record ?? null,
  };
}

/**
 * -o wide: how long each running debugger of ours has been idle, from one
 * exec each (8 at a time). An exec that is refused or fails leaves "Running";
 * a refusal for lack of RBAC is said once.
 */
async function probeActivity(conn: Parameters<typeof execCapture>[0], rows: DebuggerRow[], stderr: NodeJS.WritableStream): Promise<Map<DebuggerRow, Activity>> {
  const map = new Map<DebuggerRow, Activity>();
  const live = rows.filter((r) => r.ours && r.mode === 'exec' && r.state.kind === 'running');
  const denied = new Set<string>();
  await inParallel(live, 8, async (r) => {
    try {
      const res = await execCapture(conn, { namespace: r.namespace, pod: r.pod, container: r.name }, ['/bin/sh', '-c', probeScript(), 'distroless-debug-probe']);
      map.set(r, parseProbe(res.stdout, r.state.kind === 'running' ? r.state.startedAt : undefined, r.idleTimeoutSeconds));
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (/forbidden|not allowed|403/i.test(why)) denied.add(r.namespace);
      map.set(r, { kind: 'unknown', why });
    }
  });
  for (const ns of [...denied].sort()) {
    stderr.write(`warning: cannot tell idle debuggers in namespace "${ns}" from busy ones: "create pods/exec" is not allowed there; STATE shows only Running\n`);
  }
  return map;
}
