import { formatAge, type DebuggerRow } from './rows.js';

/** What a `-o wide` exec found inside a running debugger (see idle.ts). */
export type Activity = { kind: 'sessions'; count: number } | { kind: 'idle'; seconds: number; exitsInSeconds: number | undefined } | { kind: 'unknown'; why: string };

export interface TableOptions {
  wide: boolean;
  headers: boolean;
  /** With -A (or across namespaces): the NAMESPACE column first, as kubectl does. */
  namespaces: boolean;
  now: number;
  activity?: Map<DebuggerRow, Activity> | undefined;
}

const NONE = '<none>';
/** Other tools' ephemeral containers (kubectl debug, ...): listed, and marked. */
export const OTHER_TOOL = '(other tool)';

/** The STATE cell: running (idle since, with -o wide) / starting / waiting reason / exited code (reason): why. */
export function stateCell(row: DebuggerRow, activity: Activity | undefined): string {
  const s = row.state;
  switch (s.kind) {
    case 'starting':
      return 'Starting';
    case 'waiting':
      return `Waiting: ${s.reason}`;
    case 'running':
      if (!activity) return 'Running';
      if (activity.kind === 'sessions') return `Running, ${activity.count} session${activity.count === 1 ? '' : 's'}`;
      if (activity.kind === 'idle') {
        return `Running, idle ${formatAge(activity.seconds)}${activity.exitsInSeconds !== undefined ? ` (exits in ${formatAge(activity.exitsInSeconds)})` : ''}`;
      }
      return 'Running';
    case 'exited':
      return `Exited ${s.exitCode}${s.reason ? ` (${s.reason})` : ''}${s.why ? `: ${s.why}` : ''}`;
  }
}

function ageCell(row: DebuggerRow, now: number): string {
  const s = row.state;
  const since = s.kind === 'running' || s.kind === 'exited' ? s.startedAt : row.record?.openedAt;
  const t = since ? Date.parse(since) : NaN;
  return Number.isNaN(t) ? '<unknown>' : formatAge((now - t) / 1000);
}

/** kubectl's table: upper-case headers, columns padded by 3 (at least 6 wide), `<none>` for empty cells. */
export function renderTable(rows: DebuggerRow[], o: TableOptions): string {
  const header = [
    ...(o.namespaces ? ['NAMESPACE'] : []),
    'POD',
    'DEBUGGER',
    'TARGET',
    'IDENTITY',
    'PROFILE',
    'STATE',
    'AGE',
    'OPENED BY',
    'REASON',
    ...(o.wide ? ['MODE', 'IMAGE', 'OPENED AT', 'VERSION'] : []),
  ];
  const cells = rows.map((r) => {
    const rec = r.record;
    return [
      ...(o.namespaces ? [r.namespace] : []),
      r.pod,
      r.name,
      r.target || NONE,
      r.identity ?? NONE,
      r.profile ?? NONE,
      stateCell(r, o.activity?.get(r)),
      ageCell(r, o.now),
      rec ? rec.openedBy : r.ours ? NONE : OTHER_TOOL,
      rec?.reason || NONE,
      ...(o.wide ? [r.mode ?? NONE, r.image || NONE, rec?.openedAt || NONE, rec?.version || NONE] : []),
    ].map(printable);
  });
  const all = o.headers ? [header, ...cells] : cells;
  if (all.length === 0) return '';
  const widths = header.map((_, i) => Math.max(6, ...all.map((line) => (line[i] as string).length + 3)));
  return all.map((line) => line.map((c, i) => (i === line.length - 1 ? c : c.padEnd(widths[i] as number))).join('').trimEnd() + '\n').join('');
}

/** A record written by another client could hold anything: control characters never reach the terminal. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
