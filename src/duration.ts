/**
 * The one duration parser for every flag (--timeout, --idle-timeout,
 * --request-timeout), with kubectl's rules, and the one formatter for
 * messages. Pure.
 *
 * kubectl reads --request-timeout with ParseTimeout: a non-negative integer
 * is seconds, anything else goes through Go's time.ParseDuration ("1h30m",
 * "1.5s", ".5s", "100us"; units ns, us, µs, ms, s, m, h; every number needs a
 * unit except a lone "0"). The plugin's own duration flags take the same
 * spellings, so a value that works for one works for all.
 */
import { UsageError } from './errors.js';

/** The longest delay a Node timer can hold (2^31-1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 MICRO SIGN
  'μs': 1e-3, // U+03BC GREEK SMALL LETTER MU
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, in milliseconds (fractional); undefined when Go would refuse it. */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  // One number-unit pair per match; sticky so nothing can be skipped between them.
  const part = /([0-9]*)(?:\.([0-9]*))?([^0-9.]*)/y;
  while (part.lastIndex < s.length) {
    const m = part.exec(s);
    if (!m || m[0] === '') return undefined;
    const [, whole = '', frac, unit = ''] = m;
    if (whole === '' && (frac === undefined || frac === '')) return undefined;
    const ms = UNIT_MS[unit];
    if (ms === undefined) return undefined;
    total += Number(`${whole || '0'}.${frac || '0'}`) * ms;
  }
  // Go refuses anything past int64 nanoseconds (about 292 years).
  if (total * 1e6 > 9_223_372_036_854_775_807) return undefined;
  return sign * total;
}

export interface DurationFlag {
  /** The flag as the user wrote it, for messages: "--timeout". */
  flag: string;
  /** What 0 means for this flag, for messages: "no limit". */
  zero: string;
  /** Longest accepted value in ms; longer is a usage error. Default MAX_TIMER_MS. */
  maxMs?: number;
  /**
   * kubectl takes a negative Go duration for --request-timeout ("-1s") and
   * then sets no timeout: 'as-zero' does the same. Default: refuse.
   */
  negative?: 'refuse' | 'as-zero';
}

/**
 * A duration flag's value in ms, by kubectl's ParseTimeout rules (a bare
 * non-negative integer is seconds). 0 stays 0; the caller decides what it
 * means. Negative values and values above `maxMs` are usage errors.
 */
export function parseDurationFlag(value: string, rules: DurationFlag): number {
  const { flag } = rules;
  const maxMs = rules.maxMs ?? MAX_TIMER_MS;
  const text = value;
  const ms = /^-?[0-9]+$/.test(text) ? Number(text) * 1000 : parseGoDuration(text);
  if (ms === undefined || Number.isNaN(ms)) {
    throw new UsageError(
      `${flag} "${value}" is not a duration; use a number with a unit (ns, us, ms, s, m, h) like 30s, 2m or 1h30m, or 0 for ${rules.zero}`,
    );
  }
  if (ms < 0 && rules.negative === 'as-zero' && !/^-[0-9]+$/.test(text)) return 0;
  if (ms < 0) {
    throw new UsageError(`${flag} "${value}" is negative; use a positive duration like 30s, or 0 for ${rules.zero}`);
  }
  if (ms > maxMs) {
    throw new UsageError(`${flag} "${value}" is too long; the most is ${formatDuration(maxMs)} (or 0 for ${rules.zero})`);
  }
  return ms;
}

/**
 * For messages: "50ms", "1.5s", "1m30s", "2h", "100µs". Never rounds a
 * non-zero duration down to "0s".
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return '0s';
  if (ms < 1) return `${trim(ms * 1000, 3)}µs`;
  if (ms < 1000) return `${trim(ms, 3)}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${trim(s, 3)}s` : ''}`;
}

function trim(n: number, decimals: number): string {
  return String(Number(n.toFixed(decimals)));
}
