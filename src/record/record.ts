import type { V1EnvVar, V1EphemeralContainer } from '@kubernetes/client-node';
import { UsageError } from '../errors.js';

/**
 * Who opened a debugger, when, with which plugin version, and why. Written
 * once into the debugger's own environment: an ephemeral container's spec can
 * never change, so the record cannot be edited afterwards, and reading it
 * needs nothing beyond `get pods`. It is what the creating client wrote (the
 * API server's audit log is the authority on who sent the patch).
 *
 * None of these variables may enter the reuse key (container.ts reuseKey,
 * reuse.ts sameDebugger): they differ on every run, and a key that covered
 * them would add a new permanent debugger each time.
 */
export interface DebuggerRecord {
  /** The user the API server says we are (SelfSubjectReview), else the kubeconfig user, marked as such. */
  openedBy: string;
  /** RFC 3339, UTC, whole seconds. */
  openedAt: string;
  version: string;
  reason?: string | undefined;
}

export const RECORD_ENV = {
  openedBy: 'DD_OPENED_BY',
  openedAt: 'DD_OPENED_AT',
  version: 'DD_PLUGIN_VERSION',
  reason: 'DD_REASON',
} as const;

const RECORD_NAMES: ReadonlySet<string> = new Set(Object.values(RECORD_ENV));

export function isRecordEnv(name: string): boolean {
  return RECORD_NAMES.has(name);
}

export function recordEnv(r: DebuggerRecord): V1EnvVar[] {
  const env: V1EnvVar[] = [
    { name: RECORD_ENV.openedBy, value: r.openedBy },
    { name: RECORD_ENV.openedAt, value: r.openedAt },
    { name: RECORD_ENV.version, value: r.version },
  ];
  if (r.reason !== undefined && r.reason !== '') env.push({ name: RECORD_ENV.reason, value: r.reason });
  return env;
}

/** The container without its record: what decides what it may do and how long it lives. */
export function withoutRecord(c: V1EphemeralContainer): V1EphemeralContainer {
  if (!c.env?.some((e) => isRecordEnv(e.name))) return c;
  return { ...c, env: c.env.filter((e) => !isRecordEnv(e.name)) };
}

/** The record a debugger carries, if it has one (debuggers of older versions have none). */
export function readRecord(c: Pick<V1EphemeralContainer, 'env'>): DebuggerRecord | undefined {
  const get = (name: string) => c.env?.find((e) => e.name === name)?.value;
  const openedBy = get(RECORD_ENV.openedBy);
  if (openedBy === undefined) return undefined;
  const reason = get(RECORD_ENV.reason);
  return { openedBy, openedAt: get(RECORD_ENV.openedAt) ?? '', version: get(RECORD_ENV.version) ?? '', ...(reason !== undefined ? { reason } : {}) };
}

/** `2026-11-28T09:41:07Z`: the moment, without sub-second noise. */
export function recordTime(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The marker on a user name that only the kubeconfig (not the API server) vouched for. */
export const KUBECONFIG_USER_MARK = ' (kubeconfig user)';

export const MAX_REASON = 512;

/**
 * --reason / DISTROLESS_DEBUG_REASON: one line of printable text (a ticket
 * number, a sentence). Control characters would garble `list`'s table and
 * anyone's terminal that prints the record.
 */
export function checkReason(text: string | undefined, fromFlag: boolean): string | undefined {
  if (text === undefined) return undefined;
  const source = fromFlag ? '--reason' : 'DISTROLESS_DEBUG_REASON';
  const trimmed = text.trim();
  if (trimmed === '') {
    if (fromFlag) throw new UsageError('--reason has an empty value; give one, e.g. --reason "INC-1234: checking the config"');
    return undefined;
  }
  if (/[\u0000-\u001f\u007f-\u009f]/.test(trimmed)) {
    throw new UsageError(`${source} must be one line of printable text (no newlines or control characters), e.g. --reason "INC-1234"`);
  }
  if (trimmed.length > MAX_REASON) {
    throw new UsageError(`${source} is ${trimmed.length} characters long; keep it to ${MAX_REASON} (a ticket number and a few words)`);
  }
  return trimmed;
}

/** `dd-admin at 2026-11-28T09:41:07Z (reason: INC-1)`, for messages. */
export function describeRecord(r: DebuggerRecord): string {
  return `${r.openedBy}${r.openedAt ? ` at ${r.openedAt}` : ''}${r.reason ? ` (reason: ${r.reason})` : ''}`;
}

/**
 * The one line a run prints when it reuses a debugger someone else opened:
 * the session runs in their debugger, under their record. Undefined when the
 * debugger is ours or carries no record.
 */
export function foreignDebuggerLine(name: string, record: DebuggerRecord | undefined, self: string): string | undefined {
  if (!record || record.openedBy === self) return undefined;
  return `debugger ${name} was opened by ${describeRecord(record)}, not by you (${self}); its record stays theirs`;
}
