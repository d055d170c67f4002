/**
 * A fast path for reading kubeconfig files: the plain block YAML that
 * `kubectl config` and cluster tools write (block mappings and sequences,
 * plain and quoted one-line scalars, small flow maps such as
 * `{cluster: local, user: admin}`). Loading and running js-yaml costs about
 * 25 ms of CPU at every start (measured on a kubeconfig with four embedded
 * client certificates: its base64 lines are scanned a character at a time),
 * which is a large share of a TAB completion.
 *
 * The contract is strict: for a text this parser accepts, the result equals
 * js-yaml's `load` (test/unit/kubeconfig/simple-yaml.test.ts compares them on
 * real kubeconfigs and on mutations of them). Anything outside the subset
 * (anchors, tags, block scalars, multi-line scalars, comments after values,
 * numbers, dates, non-ASCII text, duplicate keys, ...) returns NOT_SIMPLE and
 * the caller uses js-yaml, which also owns every error message.
 */

export const NOT_SIMPLE: unique symbol = Symbol('not simple YAML');

/** Thrown inside the parser to leave the subset; never escapes parseSimpleYaml. */
class Bail extends Error {}

type Value = null | boolean | string | Value[] | { [key: string]: Value };

interface Line {
  indent: number;
  text: string;
}

// A key as a plain scalar that js-yaml keeps as the same string: starts with a
// letter or '_' (numbers would be resolved, e.g. 1e3 -> "1000").
const KEY = /^([A-Za-z_][A-Za-z0-9_.\/-]*):(?: +(.*))?$/;
const FLOW_PAIR = /^([A-Za-z_][A-Za-z0-9_.\/-]*): +(.+)$/;
// null/bool words: resolved by js-yaml as values, so never accepted as keys.
const NULL_WORDS = new Set(['null', 'Null', 'NULL', '~']);
const TRUE_WORDS = new Set(['true', 'True', 'TRUE']);
const FALSE_WORDS = new Set(['false', 'False', 'FALSE']);
// Characters a plain scalar cannot start with (YAML indicators), plus
// digits, signs and '.', which may resolve to numbers, dates, .inf or .nan.
// A dash is fine before a letter (`--region`, an exec plugin's argument).
const BAD_PLAIN_START = /^(?:[?:,[\]{}#&*!|>'"%@`0-9+.~<=]|-(?!-?[A-Za-z]))/;
const DOUBLE_QUOTED_ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t' };

function bail(): never {
  throw new Bail();
}

function plain(s: string, flow: boolean): Value {
  if (NULL_WORDS.has(s)) return null;
  if (TRUE_WORDS.has(s)) return true;
  if (FALSE_WORDS.has(s)) return false;
  if (s === '' || BAD_PLAIN_START.test(s) || s.endsWith(':') || s.includes(': ') || s.includes(' #')) bail();
  if (flow && /[,[\]{}]/.test(s)) bail();
  return s;
}

function singleQuoted(s: string): string {
  const inner = s.slice(1, -1);
  if (s.length < 2 || !s.endsWith("'") || inner.replaceAll("''", '').includes("'")) bail();
  return inner.replaceAll("''", "'");
}

function doubleQuoted(s: string): string {
  if (s.length < 2 || !s.endsWith('"')) bail();
  let out = '';
  for (let i = 1; i < s.length - 1; i++) {
    const c = s[i] as string;
    if (c === '"') bail();
    if (c !== '\\') {
      out += c;
      continue;
    }
    const escaped = DOUBLE_QUOTED_ESCAPES[s[++i] ?? ''];
    if (escaped === undefined || i >= s.length - 1) bail();
    out += escaped;
  }
  return out;
}

function flowMap(inner: string): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const part of inner.split(',')) {
    const m = FLOW_PAIR.exec(part.trim());
    if (!m) bail();
    const key = m[1] as string;
    if (Object.hasOwn(out, key) || NULL_WORDS.has(key) || TRUE_WORDS.has(key) || FALSE_WORDS.has(key) || key === '__proto__') bail();
    out[key] = plain((m[2] as string).trimEnd(), true);
  }
  return out;
}

function scalar(raw: string): Value {
  const s = raw.trim();
  if (s === '{}') return {};
  if (s === '[]') return [];
  const first = s[0];
  if (first === "'") return singleQuoted(s);
  if (first === '"') return doubleQuoted(s);
  if (first === '{') {
    if (!s.endsWith('}')) bail();
    return flowMap(s.slice(1, -1));
  }
  if (first === '[') {
    if (!s.endsWith(']')) bail();
    return s
      .slice(1, -1)
      .split(',')
      .map((p) => plain(p.trim(), true));
  }
  return plain(s, false);
}

const isItem = (l: Line | undefined): boolean => l !== undefined && (l.text === '-' || l.text.startsWith('- '));

class Parser {
  private i = 0;
  constructor(private readonly lines: Line[]) {}

  parseDocument(): Value {
    const first = this.lines[0];
    if (!first || first.indent !== 0 || isItem(first)) bail();
    const value = this.mapping(0);
    if (this.i !== this.lines.length) bail();
    return value;
  }

  /** The value of a `key:` with nothing after it: a nested block, a sequence at the key's own indent, or null. */
  private blockValue(parentIndent: number): Value {
    const next = this.lines[this.i];
    if (next && next.indent > parentIndent) return isItem(next) ? this.sequence(next.indent) : this.mapping(next.indent);
    if (next && next.indent === parentIndent && isItem(next)) return this.sequence(parentIndent);
    return null;
  }

  private mapping(indent: number): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (let line = this.lines[this.i]; line && line.indent >= indent; line = this.lines[this.i]) {
      if (line.indent > indent || isItem(line)) bail();
      const m = KEY.exec(line.text);
      if (!m) bail();
      const key = m[1] as string;
      if (Object.hasOwn(out, key) || NULL_WORDS.has(key) || TRUE_WORDS.has(key) || FALSE_WORDS.has(key) || key === '__proto__') bail();
      this.i++;
      const rest = (m[2] ?? '').trim();
      if (rest === '') {
        out[key] = this.blockValue(indent);
      } else {
        out[key] = scalar(rest);
        // A deeper line after a one-line value: a multi-line scalar (or an error), left to js-yaml.
        const next = this.lines[this.i];
        if (next && next.indent > indent) bail();
      }
    }
    return out;
  }

  private sequence(indent: number): Value[] {
    const out: Value[] = [];
    for (let line = this.lines[this.i]; line && line.indent >= indent; line = this.lines[this.i]) {
      if (line.indent > indent || line.text === '-') bail();
      // A key at the sequence's own indent ends it (`users:` then `- name: a` then `contexts:`).
      if (!isItem(line)) break;
      const after = line.text.slice(2);
      const content = after.trimStart();
      if (content === '' || content === '-' || content.startsWith('- ') || content.startsWith('#')) bail();
      if (KEY.test(content)) {
        // `- key: value` starts a mapping whose other keys sit at the column of `key`.
        const itemIndent = indent + 2 + (after.length - content.length);
        this.lines[this.i] = { indent: itemIndent, text: content };
        out.push(this.mapping(itemIndent));
      } else {
        this.i++;
        out.push(scalar(content));
        const next = this.lines[this.i];
        if (next && next.indent > indent) bail();
      }
    }
    return out;
  }
}

/** The parsed document, or NOT_SIMPLE when the text is outside the subset (then use js-yaml). */
export function parseSimpleYaml(text: string): Value | typeof NOT_SIMPLE {
  // Printable ASCII and line breaks only: no tabs, BOM, control or non-ASCII characters.
  if (/[^\n\r\x20-\x7e]/.test(text) || /\r(?!\n)/.test(text)) return NOT_SIMPLE;
  const lines: Line[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const body = raw.trimStart();
    if (body === '' || body.startsWith('#')) continue;
    lines.push({ indent: raw.length - body.length, text: body.trimEnd() });
  }
  try {
    return new Parser(lines).parseDocument();
  } catch (err) {
    if (err instanceof Bail) return NOT_SIMPLE;
    throw err;
  }
}
