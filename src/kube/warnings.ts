import { WarningsAsErrorsError } from '../errors.js';

/**
 * API server warnings (the `Warning: 299 - "text"` response headers that
 * kubectl prints as `Warning: text`): deprecations, Pod Security `warn`
 * violations, and the like. Parsed here, shown once each per run, and
 * counted for --warnings-as-errors.
 */

/** The texts of the warn-code 299 entries in a Warning header's value (RFC 7234 warning-value list). */
export function parseWarnings(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const out: string[] = [];
  for (const value of Array.isArray(header) ? header : [header]) {
    // warn-code SP warn-agent SP quoted-string [SP warn-date], comma-separated.
    for (const m of value.matchAll(/(\d{3}) +\S+ +"((?:[^"\\]|\\.)*)"(?: +"[^"]*")?/g)) {
      if (m[1] !== '299') continue;
      const text = (m[2] as string).replace(/\\(.)/g, '$1').trim();
      if (text !== '') out.push(text);
    }
  }
  return out;
}

/** Collects warnings for a run: each distinct text is shown once (kubectl deduplicates too). */
export class WarningLog {
  private readonly seen = new Set<string>();

  constructor(private readonly show: (text: string) => void) {}

  add(texts: readonly string[]): void {
    for (const text of texts) {
      if (this.seen.has(text)) continue;
      this.seen.add(text);
      this.show(text);
    }
  }

  get count(): number {
    return this.seen.size;
  }

  get first(): string | undefined {
    return this.seen.values().next().value;
  }

  /** kubectl's --warnings-as-errors: after the command, any warning fails the run (kubectl's words; exit 78 here). */
  failIfAsked(asErrors: boolean): void {
    if (!asErrors || this.count === 0) return;
    const n = this.count;
    throw new WarningsAsErrorsError(`${n} warning${n === 1 ? '' : 's'} received (--warnings-as-errors), the first: ${this.first ?? ''}`);
  }
}
