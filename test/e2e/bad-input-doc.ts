/**
 * Renders docs/errors.md from the bad-input table, and nothing else: every
 * line in it is a case that test/e2e/bad-input.test.ts runs and asserts.
 * Written by scripts/gen-errors-doc.mjs; the unit test
 * test/unit/errors-doc.test.ts and the e2e suite fail when the file is stale.
 */
import { CASES, FIXTURE_PODS, unchangedPod, type BadInputCase, type Group } from './bad-input-cases.js';

const CODE_MEANING: Readonly<Record<number, string>> = {
  64: 'bad flags or arguments',
  65: 'kubeconfig or credential problem',
  66: 'not found',
  67: 'no single running, ready pod',
  68: 'target not running',
  70: 'RBAC: not allowed',
  71: 'Pod Security rejected the debugger',
  73: 'timeout',
  78: 'other API server error',
};

/** POSIX-shell quoting, so that every input can be pasted as written. */
function quote(arg: string): string {
  if (arg === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./{}-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

function commandLine(c: BadInputCase): string {
  const env = Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${quote(v)} `).join('');
  const user = c.user ? `(as user ${c.user}) ` : '';
  const args = c.args.map((a) => (a.length > 60 ? `${quote(a.slice(0, 20))}…(${a.length} chars)` : quote(a)));
  return `${user}${env}kubectl distroless-debug ${c.quiet === false ? '' : '-q '}${args.join(' ')}`;
}

/** Markdown table cells: no pipes, no line breaks. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A code span that may itself hold backticks. */
function code(s: string): string {
  return s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``;
}

export function renderErrorsDoc(cases: readonly BadInputCase[] = CASES): string {
  const out: string[] = [];
  out.push('# Errors for bad input');
  out.push('');
  out.push('<!-- Generated from test/e2e/bad-input-cases.ts by scripts/gen-errors-doc.mjs; do not edit by hand. -->');
  out.push('');
  out.push(
    `Each row is a case of the end-to-end suite \`test/e2e/bad-input.test.ts\` (${cases.length} cases), run through the real executable against the real local cluster. For each one the suite asserts the exit code and the exact first line of stderr (the suite adds \`-q\`, so the error is the first line), that no stack trace is printed, that nothing is written to stdout, and, where a pod is named in the last column, that the pod still has no ephemeral container afterwards: nothing was changed in the cluster.`,
  );
  out.push('');
  out.push('Placeholders: `{dir}` is a scratch directory with the kubeconfig files and credential plugins the suite writes; `{server}` is the API server of the cluster under test (`https://127.0.0.1:6443` for the default one); `{deploy0}` is a deployment scaled to 0; `{debugger}` stands for the name the new debugger would have had; the pods, all fresh for each run, are:');
  out.push('');
  for (const [name, what] of Object.entries(FIXTURE_PODS)) out.push(`- \`{${name}}\`: ${what}`);
  out.push('');
  out.push('Exit codes used below:');
  out.push('');
  const codes = [...new Set(cases.map((c) => c.code))].sort((a, b) => a - b);
  for (const code of codes) out.push(`- ${code}: ${CODE_MEANING[code] ?? 'see the README'}`);
  const groups = [...new Set(cases.map((c) => c.group))] as Group[];
  for (const group of groups) {
    out.push('');
    out.push(`## ${group}`);
    out.push('');
    out.push('| input | what is wrong | exit | first line of stderr | unchanged pod |');
    out.push('|---|---|---|---|---|');
    for (const c of cases.filter((x) => x.group === group)) {
      out.push(`| ${code(cell(commandLine(c)))} | ${cell(c.title)} | ${c.code} | ${code(cell(c.line))} | ${unchangedPod(c) ? `{${unchangedPod(c)}}` : ''} |`);
    }
  }
  out.push('');
  return out.join('\n');
}
