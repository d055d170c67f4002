import { describe, expect, it } from 'vitest';
import { classifyAudit } from '../../../scripts/test.d/audit.mjs';
import { checkSkips, configurationOf, parseAllowlist } from '../../../scripts/test.d/skips.mjs';

// The two gates scripts/test adds after vitest: skipped tests and the
// dependency audit. Their decisions are pure functions of vitest's and npm's
// JSON; the scripts only run the tools and print.

const root = '/repo';
const report = (results: Array<{ status: string; title: string; ancestorTitles?: string[] }>) => ({
  testResults: [
    {
      name: '/repo/test/e2e/x.test.ts',
      assertionResults: results.map((r) => ({ ancestorTitles: r.ancestorTitles ?? ['suite'], title: r.title, status: r.status })),
    },
  ],
});

describe('skipped-test gate', () => {
  it('every status that is not a run counts: skipped (skip, skipIf, runIf, ctx.skip), todo, pending, disabled', () => {
    const r = report(['passed', 'failed', 'skipped', 'todo', 'pending', 'disabled'].map((status) => ({ status, title: status })));
    expect(checkSkips(r, new Map(), root).unlisted).toEqual([
      { key: 'test/e2e/x.test.ts > suite > skipped', status: 'skipped' },
      { key: 'test/e2e/x.test.ts > suite > todo', status: 'todo' },
      { key: 'test/e2e/x.test.ts > suite > pending', status: 'pending' },
      { key: 'test/e2e/x.test.ts > suite > disabled', status: 'disabled' },
    ]);
  });

  it('an allowlisted skip passes with its reason; the key is file > describes > title', () => {
    const { entries, errors } = parseAllowlist('# comment\n\ntest/e2e/x.test.ts > suite > inner > t :: needs a second node\n');
    expect(errors).toEqual([]);
    const r = report([{ status: 'skipped', title: 't', ancestorTitles: ['suite', 'inner'] }]);
    expect(checkSkips(r, entries, root)).toEqual({
      unlisted: [],
      allowed: [{ key: 'test/e2e/x.test.ts > suite > inner > t', status: 'skipped', reason: 'needs a second node' }],
    });
  });

  it('an allowlist line without a reason is an error, not a pass', () => {
    const { entries, errors } = parseAllowlist('test/e2e/x.test.ts > suite > t\ntest/e2e/x.test.ts > suite > u ::   \n');
    expect(entries.size).toBe(0);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^line 1: no reason/);
  });

  it('a title containing " :: " keeps all but the last separator in the key', () => {
    const { entries } = parseAllowlist('f.test.ts > a :: b :: the reason');
    expect([...entries]).toEqual([['f.test.ts > a :: b', 'the reason']]);
  });

  it('a [ID,...] line allows the skip only in those configurations (a version gate runs everywhere else)', () => {
    const text = '[v1.29,v1.30] f.test.ts > a > t :: alpha gate off before 1.33\nf.test.ts > a > u :: everywhere\n';
    expect([...parseAllowlist(text, 'v1.29').entries]).toEqual([
      ['f.test.ts > a > t', 'alpha gate off before 1.33 [allowed only in v1.29, v1.30]'],
      ['f.test.ts > a > u', 'everywhere'],
    ]);
    expect([...parseAllowlist(text, 'default').entries]).toEqual([['f.test.ts > a > u', 'everywhere']]);
    expect(parseAllowlist('[v1.29] f.test.ts > a > t\n', 'v1.29').errors).toHaveLength(1);
  });

  it('the configuration of a run: version cluster, else pinned node, else default', () => {
    expect(configurationOf({ DD_KUBERNETES: '1.29' })).toBe('v1.29');
    expect(configurationOf({ DD_KUBERNETES: 'v1.37.2', DD_TEST_NODE: 'containerd17' })).toBe('v1.37');
    expect(configurationOf({ DD_TEST_NODE: 'containerd17' })).toBe('containerd17');
    expect(configurationOf({ DD_KUBERNETES: '' })).toBe('default');
  });
});

describe('audit gate', () => {
  const ok = (vulns: Record<string, unknown>, counts: Record<string, number>) =>
    JSON.stringify({ auditReportVersion: 2, vulnerabilities: vulns, metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...counts } } });

  it('no high or critical: clean, even with moderate findings', () => {
    const r = classifyAudit(ok({ a: { severity: 'moderate', via: ['b'], fixAvailable: true } }, { moderate: 1 }));
    expect(r.kind).toBe('clean');
  });

  it('high and critical are findings, with the advisory and the fix', () => {
    const r = classifyAudit(
      ok(
        {
          'form-data': { severity: 'critical', via: [{ title: 'unsafe random boundary', url: 'https://github.com/advisories/GHSA-x' }], fixAvailable: { name: 'form-data', version: '4.0.4' } },
          low: { severity: 'low', via: [], fixAvailable: false },
        },
        { critical: 1, low: 1 },
      ),
    );
    expect(r).toMatchObject({
      kind: 'findings',
      findings: [{ name: 'form-data', severity: 'critical', titles: ['unsafe random boundary https://github.com/advisories/GHSA-x'], fix: 'upgrade form-data to 4.0.4' }],
    });
  });

  it('an endpoint that answers with an error (a mirror answering 405) is "not checked", never clean', () => {
    // What this machine's registry answered on 2026-11-28.
    const r = classifyAudit(JSON.stringify({ message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405 }));
    expect(r).toEqual({ kind: 'unchecked', reason: 'the advisory endpoint gave no report (405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk)' });
  });

  it('no network: npm prints an error object or nothing at all', () => {
    expect(classifyAudit(JSON.stringify({ error: { code: 'ENOTFOUND', summary: 'request to https://registry.npmjs.org failed', detail: '' } })).kind).toBe('unchecked');
    expect(classifyAudit('').kind).toBe('unchecked');
  });
});
