import yargsParser from 'yargs-parser';
import { UsageError } from '../../errors.js';
import type { KubeconfigFlags } from '../../kubeconfig/load.js';
import { KUBE_BOOLEAN_FLAGS, KUBE_SHORT, KUBE_STRING_FLAGS, KUBECTL_GLOBALS, kubeconfigFlags } from '../../cli/kube-flags.js';
import { verbosityAt } from '../../cli/verbosity.js';
import { WarningLog } from '../../kube/warnings.js';

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


export interface ParsedFlags {
  positional: string[];
  strings: Map<string, string>;
  booleans: Set<string>;
  kube: KubeconfigFlags;
  /** Said once under -v: kubectl flags accepted that cannot apply. */
  notes: string[];
  warningsAsErrors: boolean;
  verbose: boolean;
}

/** Parses argv for a subcommand; unknown flags and flags without values are usage errors naming `command`. */
export function parseFlags(argv: string[], spec: FlagSpec, command: string): ParsedFlags {
  const strings: string[] = [...KUBE_STRING_FLAGS, ...spec.strings];
  const booleans = ['verbose', ...KUBE_BOOLEAN_FLAGS, ...spec.booleans];
  const aliases: Record<string, string> = { ...KUBE_SHORT, v: 'verbose', ...spec.aliases };
  const known = new Set<string>([...strings, ...booleans, ...Object.keys(aliases)]);
  // kubectl's -v levels (-v=6, -v 6) mean "verbose" here, as for a session; level 0 does not.
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const level = verbosityAt(argv[i] as string, argv[i + 1]);
    if (!level) words.push(argv[i] as string);
    else {
      i += level.words - 1;
      if (level.level > 0) words.push('--verbose');
    }
  }
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
  const kubectlFlags: Record<string, string | boolean> = {};
  for (const name of KUBECTL_GLOBALS) {
    const v = str.get(name) ?? (bool.has(name) ? true : undefined);
    if (v !== undefined) kubectlFlags[name] = v;
  }
  const groups = parsed['as-group'];
  const { kube, notes, warningsAsErrors } = kubeconfigFlags({
    kubeconfig: str.get('kubeconfig'),
    context: str.get('context'),
    cluster: str.get('cluster'),
    user: str.get('user'),
    namespace: str.get('namespace'),
    as: str.get('as'),
    asGroup: groups === undefined ? undefined : ([] as string[]).concat(groups as string | string[]),
    requestTimeout: str.get('request-timeout'),
    kubectlFlags,
  });
  return { positional: parsed._.map(String), strings: str, booleans: bool, kube, notes, warningsAsErrors, verbose: bool.has('verbose') };
}

/**
 * Runs a subcommand with the API server's warnings on stderr as they come
 * (not with -q), once each; with --warnings-as-errors any of them fails the
 * run after it, as for a session.
 */
export async function withApiWarnings(f: ParsedFlags, io: { stderr: { write(s: string): unknown } }, body: (warnings: WarningLog) => Promise<number>): Promise<number> {
  const quiet = f.booleans.has('quiet');
  const warnings = new WarningLog((text) => {
    if (!quiet) io.stderr.write(`distroless-debug: warning: the API server warns: ${text}\n`);
  });
  const code = await body(warnings);
  warnings.failIfAsked(f.warningsAsErrors);
  return code;
}
