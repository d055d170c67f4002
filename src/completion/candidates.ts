/**
 * Shell completion for `kubectl distroless-debug`, without I/O: which word is
 * being completed, and the candidates for it from a CompletionSource (the
 * cluster and kubeconfig in production, a fake in tests).
 *
 * kubectl (1.26+) runs `kubectl_complete-distroless_debug ARGS...` with the
 * plugin's arguments typed so far, the last one being the partial word ("" for
 * a new word), and relays what it prints: one candidate per line (cobra's
 * "value<TAB>description" allowed), then `:DIRECTIVE` (see k8s.io/kubectl
 * pkg/cmd/plugin/plugin_completion.go).
 */
import type { KubeconfigFlags } from '../kubeconfig/load.js';
import { kindOf } from '../kinds.js';
import { Directive, FLAGS, TARGET_KINDS, type FlagSpec, type TargetKind } from './spec.js';

export interface CompletionSource {
  /** Names of the running, not terminating pods in the namespace (undefined: the context's). */
  pods(namespace: string | undefined): Promise<string[]>;
  /** Names of the workloads of one kind in the namespace. */
  workloads(kind: TargetKind, namespace: string | undefined): Promise<string[]>;
  /** Container names of the target (NAME or KIND/NAME), ephemeral ones excluded. */
  containers(target: string, namespace: string | undefined): Promise<string[]>;
  namespaces(): Promise<string[]>;
  contexts(): Promise<string[]>;
  clusters(): Promise<string[]>;
  users(): Promise<string[]>;
}

/** What the words before the one being completed said. */
export interface ParsedLine {
  /** Long flag name → the values given, in order ('' for booleans). */
  flags: Map<string, string[]>;
  target: string | undefined;
  afterDashDash: boolean;
}

export type Request =
  | { what: 'nothing'; directive: number }
  | { what: 'flags'; partial: string }
  | { what: 'value'; flag: FlagSpec; partial: string; prefix: string }
  | { what: 'target'; partial: string };

export interface Candidate {
  value: string;
  description?: string;
}

export interface Completion {
  candidates: Candidate[];
  directive: number;
}

const byLong = new Map(FLAGS.map((f) => [f.name, f]));
const byShort = new Map(FLAGS.filter((f) => f.short).map((f) => [f.short as string, f]));

/** Value-taking flags consume the next word unless the value is inline (--f=V, -fV, -f=V); --dry-run only takes --dry-run=V. */
function takesNextWord(flag: FlagSpec | undefined): boolean {
  return flag?.value !== undefined && !flag.value.optional;
}

/** Splits `words` (as kubectl passes them) into the parsed line and what to complete. */
export function analyze(words: readonly string[]): { line: ParsedLine; request: Request } {
  const line: ParsedLine = { flags: new Map(), target: undefined, afterDashDash: false };
  const record = (flag: FlagSpec, value: string): void => {
    line.flags.set(flag.name, [...(line.flags.get(flag.name) ?? []), value]);
  };
  const last = Math.max(words.length - 1, 0);
  const partial = words[last] ?? '';
  let pending: FlagSpec | undefined;

  for (let i = 0; i < last; i++) {
    const w = words[i] as string;
    if (line.afterDashDash) continue;
    if (w === '--') {
      line.afterDashDash = true;
      continue;
    }
    let flag: FlagSpec | undefined;
    let inline: string | undefined;
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w.slice(2) : w.slice(2, eq);
      flag = byLong.get(name) ?? (name === 'v' ? byLong.get('verbose') : undefined);
      if (eq >= 0) inline = w.slice(eq + 1);
    } else if (w.startsWith('-') && w.length > 1) {
      flag = byShort.get(w.charAt(1));
      if (takesNextWord(flag) && w.length > 2) inline = w.slice(2).replace(/^=/, '');
    } else {
      if (line.target === undefined) line.target = w;
      continue;
    }
    if (!flag) continue;
    if (inline !== undefined || !takesNextWord(flag)) {
      record(flag, inline ?? '');
    } else if (i + 1 < last) {
      record(flag, words[++i] as string);
    } else {
      pending = flag;
    }
  }

  let request: Request;
  if (line.afterDashDash) {
    // The remote command: local files mean nothing there.
    request = { what: 'nothing', directive: Directive.noFileComp };
  } else if (pending) {
    request = { what: 'value', flag: pending, partial, prefix: '' };
  } else if (partial.startsWith('--') && partial.includes('=')) {
    const eq = partial.indexOf('=');
    const flag = byLong.get(partial.slice(2, eq));
    request = flag?.value
      ? { what: 'value', flag, partial, prefix: partial.slice(0, eq + 1) }
      : { what: 'nothing', directive: Directive.noFileComp };
  } else if (partial.startsWith('-')) {
    request = { what: 'flags', partial };
  } else if (line.target === undefined) {
    request = { what: 'target', partial };
  } else {
    request = { what: 'nothing', directive: Directive.noFileComp };
  }
  return { line, request };
}

const lastValue = (line: ParsedLine, name: string): string | undefined => line.flags.get(name)?.at(-1);

/** The kubectl-style connection flags typed so far, for the cluster reads. */
export function kubeconfigFlags(line: ParsedLine): KubeconfigFlags {
  const flags: KubeconfigFlags = {};
  const set = (key: 'kubeconfig' | 'context' | 'cluster' | 'user' | 'namespace' | 'as' | 'requestTimeout', name: string): void => {
    const v = lastValue(line, name);
    if (v) flags[key] = v;
  };
  set('kubeconfig', 'kubeconfig');
  set('context', 'context');
  set('cluster', 'cluster');
  set('user', 'user');
  set('namespace', 'namespace');
  set('as', 'as');
  set('requestTimeout', 'request-timeout');
  const groups = line.flags.get('as-group')?.filter((g) => g !== '');
  if (groups?.length) flags.asGroups = groups;
  return flags;
}

export type DebugLog = (line: string) => void;

/** A source call that fails (no cluster, RBAC, bad kubeconfig) just has no candidates. */
async function safely(what: string, call: () => Promise<string[]>, debug: DebugLog): Promise<string[]> {
  try {
    return await call();
  } catch (err) {
    debug(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }
}

function sortedUnique(names: string[]): string[] {
  return [...new Set(names)].sort();
}

function flagCandidates(partial: string, line: ParsedLine): Candidate[] {
  const out: Candidate[] = [];
  for (const f of FLAGS) {
    if (line.flags.has(f.name) && !f.repeatable) continue;
    out.push({ value: `--${f.name}`, description: f.description });
    if (f.short && !partial.startsWith('--')) out.push({ value: `-${f.short}`, description: f.description });
  }
  return out.filter((c) => c.value.startsWith(partial));
}

async function targetCandidates(partial: string, line: ParsedLine, source: CompletionSource, debug: DebugLog): Promise<Completion> {
  const namespace = lastValue(line, 'namespace') || undefined;
  const slash = partial.indexOf('/');
  let candidates: Candidate[];
  if (slash >= 0) {
    const spelling = partial.slice(0, slash);
    const kind = kindOf(spelling);
    const names = !kind
      ? []
      : kind.kind === 'pod'
        ? await safely('pods', () => source.pods(namespace), debug)
        : await safely(kind.long, () => source.workloads(kind, namespace), debug);
    candidates = sortedUnique(names).map((n) => ({ value: `${spelling}/${n}` }));
  } else {
    const pods = await safely('pods', () => source.pods(namespace), debug);
    const kinds: Candidate[] = [];
    for (const k of TARGET_KINDS) {
      const spelling = k.short.startsWith(partial) ? k.short : k.long.startsWith(partial) ? k.long : undefined;
      if (spelling !== undefined) kinds.push({ value: `${spelling}/`, description: k.description });
    }
    candidates = [...sortedUnique(pods).map((value) => ({ value })), ...kinds];
  }
  candidates = candidates.filter((c) => c.value.startsWith(partial));
  // "deploy/" must not get a space after it: the name follows.
  const onlyKinds = candidates.length > 0 && candidates.every((c) => c.value.endsWith('/'));
  return { candidates, directive: Directive.noFileComp | (onlyKinds ? Directive.noSpace : 0) };
}

async function valueCandidates(
  request: Extract<Request, { what: 'value' }>,
  line: ParsedLine,
  source: CompletionSource,
  debug: DebugLog,
): Promise<Completion> {
  const value = request.flag.value ?? { kind: 'none' };
  const namespace = lastValue(line, 'namespace') || undefined;
  let names: string[];
  switch (value.kind) {
    case 'file':
      // Let the shell complete file names.
      return { candidates: [], directive: Directive.default };
    case 'none':
      names = [];
      break;
    case 'enum':
      names = [...value.values];
      break;
    case 'namespace':
      names = sortedUnique(await safely('namespaces', () => source.namespaces(), debug));
      break;
    case 'context':
      names = sortedUnique(await safely('contexts', () => source.contexts(), debug));
      break;
    case 'cluster':
      names = sortedUnique(await safely('clusters', () => source.clusters(), debug));
      break;
    case 'user':
      names = sortedUnique(await safely('users', () => source.users(), debug));
      break;
    case 'container': {
      const target = line.target;
      names = target === undefined ? [] : await safely('containers', () => source.containers(target, namespace), debug);
      break;
    }
  }
  const candidates = names.map((n) => ({ value: request.prefix + n })).filter((c) => c.value.startsWith(request.partial));
  return { candidates, directive: Directive.noFileComp };
}

/** The candidates for the last word of `words`. Never throws because of the source. */
export async function complete(words: readonly string[], source: CompletionSource, debug: DebugLog = () => {}): Promise<Completion> {
  const { line, request } = analyze(words);
  debug(`words ${JSON.stringify(words)} -> ${request.what}`);
  switch (request.what) {
    case 'nothing':
      return { candidates: [], directive: request.directive };
    case 'flags':
      return { candidates: flagCandidates(request.partial, line), directive: Directive.noFileComp };
    case 'target':
      return targetCandidates(request.partial, line, source, debug);
    case 'value':
      return valueCandidates(request, line, source, debug);
  }
}

/** cobra's wire format: one candidate per line (TAB description), then `:directive`. */
export function render(c: Completion): string {
  const clean = (s: string) => s.replace(/[\t\r\n]+/g, ' ');
  const lines = c.candidates.map((x) => (x.description ? `${clean(x.value)}\t${clean(x.description)}` : clean(x.value)));
  return [...lines, `:${c.directive}`].join('\n') + '\n';
}
