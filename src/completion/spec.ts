/**
 * What the completer knows about the command line, as data: the flags (kept in
 * step with src/cli/args.ts and the help text by test/unit/completion) and the
 * target kinds. Pure, no imports, cheap to load.
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
  { name: 'tty', short: 't', description: 'allocate a terminal for COMMAND' },
  { name: 'dry-run', value: { kind: 'enum', values: ['client', 'server'], optional: true }, description: 'print the plan, change nothing' },
  { name: 'output', short: 'o', value: { kind: 'enum', values: ['yaml', 'json'] }, description: 'format for --dry-run' },
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
  { name: 'help', short: 'h', description: 'show the help' },
  { name: 'version', description: 'print the version' },
];

/** API resource behind each target kind; `short` is what completion offers first. */
export interface TargetKind {
  kind: 'pod' | 'deployment' | 'statefulset' | 'daemonset' | 'replicaset' | 'job';
  short: string;
  long: string;
  description: string;
  /** List path in a namespace, e.g. /apis/apps/v1/namespaces/NS/deployments. */
  listPath(namespace: string): string;
}

const ns = encodeURIComponent;

export const TARGET_KINDS: readonly TargetKind[] = [
  { kind: 'deployment', short: 'deploy', long: 'deployment', description: 'a running, ready pod of a deployment', listPath: (n) => `/apis/apps/v1/namespaces/${ns(n)}/deployments` },
  { kind: 'statefulset', short: 'sts', long: 'statefulset', description: 'a running, ready pod of a statefulset', listPath: (n) => `/apis/apps/v1/namespaces/${ns(n)}/statefulsets` },
  { kind: 'daemonset', short: 'ds', long: 'daemonset', description: 'a running, ready pod of a daemonset', listPath: (n) => `/apis/apps/v1/namespaces/${ns(n)}/daemonsets` },
  { kind: 'replicaset', short: 'rs', long: 'replicaset', description: 'a running, ready pod of a replicaset', listPath: (n) => `/apis/apps/v1/namespaces/${ns(n)}/replicasets` },
  { kind: 'job', short: 'job', long: 'job', description: 'a running pod of a job', listPath: (n) => `/apis/batch/v1/namespaces/${ns(n)}/jobs` },
  { kind: 'pod', short: 'pod', long: 'pod', description: 'a pod by name', listPath: (n) => `/api/v1/namespaces/${ns(n)}/pods` },
];

/** The KIND/ spellings the plugin accepts (src/cli/options.ts), mapped to their kind. */
export const KIND_SPELLINGS: Readonly<Record<string, TargetKind['kind']>> = {
  po: 'pod', pod: 'pod', pods: 'pod',
  deploy: 'deployment', deployment: 'deployment', deployments: 'deployment', 'deployment.apps': 'deployment', 'deployments.apps': 'deployment',
  sts: 'statefulset', statefulset: 'statefulset', statefulsets: 'statefulset', 'statefulset.apps': 'statefulset', 'statefulsets.apps': 'statefulset',
  ds: 'daemonset', daemonset: 'daemonset', daemonsets: 'daemonset', 'daemonset.apps': 'daemonset', 'daemonsets.apps': 'daemonset',
  rs: 'replicaset', replicaset: 'replicaset', replicasets: 'replicaset', 'replicaset.apps': 'replicaset', 'replicasets.apps': 'replicaset',
  job: 'job', jobs: 'job', 'job.batch': 'job', 'jobs.batch': 'job',
};

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
