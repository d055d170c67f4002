/**
 * Every failure the plugin reports is one of these classes. Each carries the
 * one-line message a user sees (what happened and what to do next) and its
 * exit code; `exitCodeOf` is the only place that maps errors to codes.
 *
 * Codes live in 64..80 so that, with `-- COMMAND`, a runbook can tell the
 * plugin's own failures from the remote command's usual exit codes (1, 2, 126,
 * 127, 130...). The README lists them.
 */
export const ExitCode = {
  ok: 0,
  usage: 64,
  config: 65,
  notFound: 66,
  ambiguous: 67,
  notRunning: 68,
  unsupported: 69,
  forbidden: 70,
  podSecurity: 71,
  imagePull: 72,
  timeout: 73,
  streamRefused: 74,
  connectionLost: 75,
  targetUnreachable: 76,
  debuggerFailed: 77,
  api: 78,
  internal: 79,
  /** cp: the copy could not be completed in the file system (disk full, entries refused or unreadable). */
  copyFailed: 80,
  interrupted: 130,
} as const;

export type ExitCodeName = keyof typeof ExitCode;

export abstract class DebugError extends Error {
  abstract readonly code: ExitCodeName;
  /** Extra lines shown with -v only. */
  readonly details: string[];

  constructor(message: string, options: { cause?: unknown; details?: string[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? [];
  }
}

export class UsageError extends DebugError {
  readonly code = 'usage';
}
export class ConfigError extends DebugError {
  readonly code = 'config';
}
export class NotFoundError extends DebugError {
  readonly code = 'notFound';
}
export class AmbiguousError extends DebugError {
  readonly code = 'ambiguous';
}
export class NotRunningError extends DebugError {
  readonly code = 'notRunning';
}
export class UnsupportedError extends DebugError {
  readonly code = 'unsupported';
}
export class ForbiddenError extends DebugError {
  readonly code = 'forbidden';
}
export class PodSecurityError extends DebugError {
  readonly code = 'podSecurity';
}
export class ImagePullError extends DebugError {
  readonly code = 'imagePull';
}
export class TimeoutError extends DebugError {
  readonly code = 'timeout';
}
export class StreamRefusedError extends DebugError {
  readonly code = 'streamRefused';
}
export class ConnectionLostError extends DebugError {
  readonly code = 'connectionLost';
}
export class TargetUnreachableError extends DebugError {
  readonly code = 'targetUnreachable';
}
export class DebuggerFailedError extends DebugError {
  readonly code = 'debuggerFailed';
}
export class ApiError extends DebugError {
  readonly code = 'api';
}
export class InterruptedError extends DebugError {
  readonly code = 'interrupted';
}

export function exitCodeOf(err: unknown): number {
  return err instanceof DebugError ? ExitCode[err.code] : ExitCode.internal;
}

/** `stop`: some of the debuggers asked for are still running (each was named with its reason). */
export class NotAllStoppedError extends DebugError {
  readonly code = 'debuggerFailed';
}
/** cp: a path in the pod or on this machine is not there (66, like a missing pod). */
export class PathNotFoundError extends DebugError {
  readonly code = 'notFound';
}
/** cp: the file system (not RBAC) refuses the app's identity or the local user (70). */
export class PathPermissionError extends DebugError {
  readonly code = 'forbidden';
}
/** cp: the destination is on a read-only file system (70: writing there is not allowed). */
export class ReadOnlyFilesystemError extends DebugError {
  readonly code = 'forbidden';
}
/** cp: a directory is needed where a file is, or the reverse (64: the operands do not fit). */
export class PathKindError extends DebugError {
  readonly code = 'usage';
}
/** cp: the copy ran but is incomplete: disk full, or entries refused or unreadable (80). */
export class CopyFailedError extends DebugError {
  readonly code = 'copyFailed';
}
/** --warnings-as-errors: the API server sent warnings during the run (78, as other API server answers). */
export class WarningsAsErrorsError extends DebugError {
  readonly code = 'api';
}
