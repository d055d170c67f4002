// Types for skips.mjs, so the unit tests stay strict.
export interface AssertionResult {
  ancestorTitles: string[];
  title: string;
  status: string;
}
export interface Report {
  testResults: Array<{ name: string; assertionResults: AssertionResult[] }>;
}
export function configurationOf(env: Record<string, string | undefined>): string;
export function parseAllowlist(text: string, configuration?: string): { entries: Map<string, string>; errors: string[] };
export function testKey(root: string, file: string, test: Pick<AssertionResult, 'ancestorTitles' | 'title'>): string;
export function checkSkips(
  report: Report,
  allow: Map<string, string>,
  root: string,
): { unlisted: Array<{ key: string; status: string }>; allowed: Array<{ key: string; status: string; reason: string }> };
