// The skipped-test gate of scripts/test: every test that vitest reports as not
// run (it.skip, it.todo, skipIf/runIf that fired, ctx.skip(), describe.skip,
// a test left out by .only) fails the run unless test/skip-allowlist.txt names
// it with a reason. A skip that nobody decided on is a hole in the suite.
//
//   node scripts/test.d/skips.mjs REPORT.json ALLOWLIST [--name-filter]
//
// --name-filter: the run was narrowed with -t/--testNamePattern, and vitest
// reports the tests it filtered out as skipped too (indistinguishable from a
// real skip), so the gate only reports.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Statuses of a test that ran. Anything else (skipped, pending, todo, disabled) did not. */
const RAN = new Set(['passed', 'failed']);

/**
 * The configuration a run tests, as `scripts/test compat` names it: the
 * version cluster (DD_KUBERNETES=1.29 -> v1.29), else the node the pods are
 * pinned to (DD_TEST_NODE=containerd17), else `default`.
 * @param {Record<string, string | undefined>} env
 */
export function configurationOf(env) {
  const minor = /^v?(1\.\d+)/.exec(env.DD_KUBERNETES ?? '')?.[1];
  if (minor) return `v${minor}`;
  return env.DD_TEST_NODE || 'default';
}

/**
 * Parses the allowlist: one `FILE > DESCRIBE > ... > TITLE :: REASON` per
 * line; blank lines and lines starting with # are ignored. A line without a
 * reason is an error: the reason is the point of the list. A line that starts
 * with `[ID,ID] ` allows the skip only in those configurations (a version
 * gate: the test must run everywhere else); others allow it in every one.
 * @param {string} text
 * @param {string} [configuration] the run's configuration (configurationOf)
 * @returns {{ entries: Map<string, string>, errors: string[] }}
 */
export function parseAllowlist(text, configuration = 'default') {
  const entries = new Map();
  const errors = [];
  text.split('\n').forEach((raw, i) => {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const only = /^\[([^\]]*)\]\s+/.exec(line);
    if (only) line = line.slice(only[0].length);
    const at = line.lastIndexOf(' :: ');
    const key = at < 0 ? line : line.slice(0, at).trim();
    const reason = at < 0 ? '' : line.slice(at + 4).trim();
    if (!reason) errors.push(`line ${i + 1}: no reason (write "TEST :: REASON"): ${line}`);
    else if (!key.includes(' > ')) errors.push(`line ${i + 1}: expected "FILE > ... > TITLE :: REASON": ${line}`);
    else if (only && !only[1].split(',').map((c) => c.trim()).includes(configuration)) return;
    else entries.set(key, only ? `${reason} [allowed only in ${only[1].split(',').map((c) => c.trim()).join(', ')}]` : reason);
  });
  return { entries, errors };
}

/**
 * The key of one test as the allowlist names it.
 * @param {string} root repository root
 * @param {string} file absolute test file path from the report
 * @param {{ ancestorTitles: string[], title: string }} test
 */
export function testKey(root, file, test) {
  return [relative(root, file), ...test.ancestorTitles, test.title].join(' > ');
}

/**
 * Sorts the tests that did not run into allowed and unlisted.
 * @param {{ testResults: Array<{ name: string, assertionResults: Array<{ ancestorTitles: string[], title: string, status: string }> }> }} report vitest's JSON report
 * @param {Map<string, string>} allow
 * @param {string} root
 * @returns {{ unlisted: Array<{ key: string, status: string }>, allowed: Array<{ key: string, status: string, reason: string }> }}
 */
export function checkSkips(report, allow, root) {
  const unlisted = [];
  const allowed = [];
  for (const file of report.testResults ?? []) {
    for (const t of file.assertionResults ?? []) {
      if (RAN.has(t.status)) continue;
      const key = testKey(root, file.name, t);
      const reason = allow.get(key);
      if (reason === undefined) unlisted.push({ key, status: t.status });
      else allowed.push({ key, status: t.status, reason });
    }
  }
  return { unlisted, allowed };
}

function main(argv) {
  const [reportPath, allowPath, ...flags] = argv;
  if (!reportPath || !allowPath) {
    console.error('usage: skips.mjs REPORT.json ALLOWLIST [--name-filter]');
    return 2;
  }
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  let text = '';
  try {
    text = readFileSync(allowPath, 'utf8');
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  const { entries, errors } = parseAllowlist(text, configurationOf(process.env));
  for (const e of errors) console.error(`${relative(root, allowPath)}: ${e}`);
  const { unlisted, allowed } = checkSkips(report, entries, root);
  for (const a of allowed) console.log(`skipped (allowed: ${a.reason}): ${a.key}`);
  if (unlisted.length === 0) return errors.length ? 1 : 0;
  if (flags.includes('--name-filter')) {
    console.log(`${unlisted.length} tests not run; not checked against ${relative(root, allowPath)} because -t/--testNamePattern narrowed the run`);
    return errors.length ? 1 : 0;
  }
  for (const u of unlisted) console.error(`${u.status} and not on the allowlist: ${u.key}`);
  console.error(`${unlisted.length} tests did not run; a skipped test fails scripts/test unless ${relative(root, allowPath)} lists it as "TEST :: REASON"`);
  return 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
