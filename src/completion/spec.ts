/**
 * What the completer knows about the command line, as data: the flags (kept in
 * step with src/cli/args.ts and the help text by test/unit/completion) and the
 * target kinds. Pure and cheap to load.
 */

/** Where a flag's value comes from when completing it. */
export type ValueSource =
  | { kind: 'none' }
  | { kind: 'file' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'namespace' }
  | { kind: 'context' }
  | { kind: 'cluster' }
  | { kind: 'user' }
  | { kind: 'container' };

export interface FlagSpec {
  /** Long name without dashes. */
  name: string;
  short?: string;
  /** undefined: a boolean flag. `optional`: a value only as --flag=VALUE. */
  value?: ValueSource & { optional?: boolean };
  repeatable?: boolean;
  description: string;
}

const none: ValueSource = { kind: 'none' };

export const FLAGS: readonly FlagSpec[] = [
  { name: 'container', short: 'c', value: { kind: 'container' }, description: 'container to debug' },
  { name: 'image', value: none, description: 'debug image' },
  { name: 'image-pull-policy', value: { kind: 'enum', values: ['Always', 'IfNotPresent', 'Never'] }, description: 'pull policy of the debug image' },
  { name: 'uid', value: none, description: 'run the debugger as this user ID' },
  { name: 'gid', value: none, description: 'run the debugger as this group ID' },
  { name: 'profile', value: { kind: 'enum', values: ['auto', 'restricted', 'baseline', 'general'] }, description: 'security profile of the debugger' },
  { name: 'env', value: none, repeatable: true, description: 'extra environment NAME=VALUE' },
  { name: 'new', description: 'always add a new debugger' },
  { name: 'timeout', value: none, description: 'how long to wait for the debugger to start' },
  { name: 'idle-timeout', value: none, description: 'the debugger exits after this long without a session' },
  { name: 'no-pull-secrets', description: "never read the pod's pull secrets" },
  { name: 'reason', value: none, description: "why, in a new debugger's record" },
  { name: 'record', value: { kind: 'file' }, description: 'write the session as an asciicast v2 file' },
  { name: 'record-input', description: 'with --record: also record what you type' },
  { name: 'tty', short: 't', description: 'allocate a terminal for COMMAND' },
  { name: 'dry-run', value: { kind: 'enum', values: ['client', 'server'], optional: true }, description: 'print the plan, change nothing' },
  { name: 'output', short: 'o', value: { kind: 'enum', values: ['yaml', 'json'] }, description: 'format for --dry-run' },
  { name: 'copy-to', value: none, description: 'debug a copy of a crash-looping pod' },
  { name: 'rm', description: 'delete the --copy-to copy at the end' },
  { name: 'quiet', short: 'q', description: "print only the session's own output" },
  { name: 'verbose', short: 'v', description: 'details, timings and API calls on stderr' },
  { name: 'kubeconfig', value: { kind: 'file' }, description: 'kubeconfig file' },
  { name: 'context', value: { kind: 'context' }, description: 'kubeconfig context' },
  { name: 'cluster', value: { kind: 'cluster' }, description: 'kubeconfig cluster' },
  { name: 'user', value: { kind: 'user' }, description: 'kubeconfig user' },
  { name: 'namespace', short: 'n', value: { kind: 'namespace' }, description: 'namespace of the pod' },
  { name: 'as', value: none, description: 'user to impersonate' },
  { name: 'as-group', value: none, repeatable: true, description: 'group to impersonate' },
  { name: 'request-timeout', value: none, description: 'timeout of each API request' },
  // kubectl's other global flags (src/cli/args.ts), accepted with kubectl's meaning
  { name: 'server', short: 's', value: none, description: 'address of the API server' },
  { name: 'token', value: none, description: 'bearer token' },
  { name: 'certificate-authority', value: { kind: 'file' }, description: 'certificate authority file' },
  { name: 'client-certificate', value: { kind: 'file' }, description: 'client certificate file' },
  { name: 'client-key', value: { kind: 'file' }, description: 'client key file' },
  { name: 'insecure-skip-tls-verify', description: "do not check the server's certificate" },
  { name: 'tls-server-name', value: none, description: "name to check the server's certificate against" },
  { name: 'as-uid', value: none, description: 'UID to impersonate' },
  { name: 'username', value: none, description: 'basic authentication user' },
  { name: 'password', value: none, description: 'basic authentication password' },
  { name: 'cache-dir', value: { kind: 'file' }, description: 'accepted for kubectl compatibility' },
  { name: 'disable-compression', description: 'accepted for kubectl compatibility' },
  { name: 'warnings-as-errors', description: "the API server's warnings fail the run" },
  { name: 'match-server-version', description: 'accepted for kubectl compatibility' },
  { name: 'log-flush-frequency', value: none, description: 'accepted for kubectl compatibility' },
  { name: 'vmodule', value: none, description: 'accepted for kubectl compatibility' },
  { name: 'profile-output', value: { kind: 'file' }, description: 'accepted for kubectl compatibility' },
  { name: 'kuberc', value: { kind: 'file' }, description: 'accepted for kubectl compatibility' },
  { name: 'help', short: 'h', description: 'show the help' },
  { name: 'version', description: 'print the version' },
];

// The target kinds live in src/kinds.ts, shared with the argument parser.
export { KIND_SPELLINGS, TARGET_KINDS, type TargetKind } from '../kinds.js';

/** cobra's ShellCompDirective bits (github.com/spf13/cobra completions.go), which kubectl relays. */
export const Directive = {
  default: 0,
  error: 1,
  noSpace: 2,
  noFileComp: 4,
  filterFileExt: 8,
  filterDirs: 16,
  keepOrder: 32,
} as const;
