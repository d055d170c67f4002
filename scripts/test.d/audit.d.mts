// Types for audit.mjs, so the unit tests stay strict.
export type AuditResult =
  | { kind: 'clean'; counts: Record<string, number> }
  | { kind: 'findings'; counts: Record<string, number>; findings: Array<{ name: string; severity: string; titles: string[]; fix: string }> }
  | { kind: 'unchecked'; reason: string };
export function classifyAudit(stdout: string): AuditResult;
