import yargsParser from 'yargs-parser';
import { UsageError } from '../../errors.js';
import type { KubeconfigFlags } from '../../kubeconfig/load.js';
import { parseRequestTimeout } from '../../kubeconfig/load.js';

/**
 * The flags `list` and `stop` share with every kubectl command (kubeconfig,
 * namespace, verbosity), parsed with yargs-parser like the session's flags.
 * Each subcommand adds its own.
 */
export interface FlagSpec {
  strings: readonly string[];
  booleans: readonly string[];
  aliases: Readonly<Record<string, string>>;
}

const KUBE_STRINGS = ['namespace', 'context', 'kubeconfig', 'cluster', 'user', 'as', 'as-group', 'request-timeout'] as const;
const KUBE_ALIASES = { n: 'namespace' } as const;

export interface ParsedFlags {
  positional: string[];
  strings: Map<string, string>;
  booleans: Set<string>;
  kube: KubeconfigFlags;
  verbose: boolean;
}

/** Parses argv for a subcommand; unknown flags and flags without values are usage errors naming `command`. */
export function parseFlags(argv: string[], spec: FlagSpec, command: string): ParsedFlags {
  const strings = [...KUBE_STRINGS, ...spec.strings];
  const booleans = ['verbose', ...spec.booleans];
  const aliases: Record<string, string> = { ...KUBE_ALIASES, v: 'verbose', ...spec.aliases };
  const known = new Set<string>([...strings, ...booleans, ...Object.keys(aliases)]);
  // kubectl's -v=N levels mean "verbose" here, as for a session.
  const words = argv.map((a) => (/^(-v|--v)=\d+$/.test(a) ? '--verbose' : a));
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    const long = /^--([^=]+)$/.exec(w)?.[1];
    const short = /^-([a-zA-Z])$/.exec(w)?.[1];
    const name = long ?? (short !== undefined ? aliases[short] : undefined);
    if (name !== undefined && strings.includes(name)) {
      const next = words[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-')) throw new UsageError(`flag ${w} needs a value; see kubectl distroless-debug ${command} --help`);
    }
    const eq = /^--([^=]+)=(.*)$/s.exec(w);
    if (eq && strings.includes(eq[1] as string) && eq[2] === '') throw new UsageError(`flag --${eq[1]} has an empty value; give one, or drop the flag`);
  }
  const parsed = yargsParser(words, {
    string: strings,
    boolean: booleans,
    alias: Object.fromEntries(Object.entries(aliases).map(([s, l]) => [l, [s]])),
    configuration: {
      'camel-case-expansion': false,
      'boolean-negation': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'duplicate-arguments-array': true,
      'strip-aliased': true,
      'short-option-groups': true,
    },
  }) as Record<string, unknown> & { _: Array<string | number> };
  const unknown = Object.keys(parsed).filter((k) => k !== '_' && !known.has(k));
  if (unknown.length) {
    const names = unknown.map((k) => (k.length === 1 ? `-${k}` : `--${k}`)).join(', ');
    throw new UsageError(`unknown flag${unknown.length > 1 ? 's' : ''} ${names} for ${command}; see kubectl distroless-debug ${command} --help`);
  }
  const last = (v: unknown): string | undefined => (Array.isArray(v) ? (v[v.length - 1] as string) : typeof v === 'string' ? v : undefined);
  const str = new Map<string, string>();
  for (const s of strings) {
    const v = last(parsed[s]);
    if (v !== undefined) str.set(s, v);
  }
  const bool = new Set<string>(booleans.filter((b) => parsed[b] === true));
  const kube: KubeconfigFlags = {};
  const k = (name: string) => str.get(name);
  if (k('kubeconfig') !== undefined) kube.kubeconfig = k('kubeconfig') as string;
  if (k('context') !== undefined) kube.context = k('context') as string;
  if (k('cluster') !== undefined) kube.cluster = k('cluster') as string;
  if (k('user') !== undefined) kube.user = k('user') as string;
  if (k('namespace') !== undefined) {
    const ns = k('namespace') as string;
    if (ns.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) {
      throw new UsageError(`-n/--namespace "${ns}" cannot be a namespace: namespaces are at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit`);
    }
    kube.namespace = ns;
  }
  if (k('as') !== undefined) kube.as = k('as') as string;
  const groups = parsed['as-group'];
  if (groups !== undefined) kube.asGroups = ([] as string[]).concat(groups as string | string[]);
  if (k('request-timeout') !== undefined) {
    parseRequestTimeout(k('request-timeout'));
    kube.requestTimeout = k('request-timeout') as string;
  }
  return { positional: parsed._.map(String), strings: str, booleans: bool, kube, verbose: bool.has('verbose') };
}
