/**
 * The target kinds the plugin accepts (`deploy/NAME`, `sts/NAME`, ...), in one
 * place: the argument parser, the workload resolver and shell completion all
 * read this table. Pure, no imports, cheap to load.
 */
export const WORKLOAD_KINDS = ['pod', 'deployment', 'statefulset', 'daemonset', 'replicaset', 'job'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface TargetKind {
  kind: WorkloadKind;
  /** What messages and completion show first: deploy, sts, ... */
  short: string;
  long: string;
  plural: string;
  /** API group path: /api/v1 or /apis/GROUP/VERSION. */
  api: string;
  description: string;
  /** List path in a namespace, e.g. /apis/apps/v1/namespaces/NS/deployments. */
  listPath(namespace: string): string;
  /** One object, e.g. /apis/apps/v1/namespaces/NS/deployments/NAME. */
  objectPath(namespace: string, name: string): string;
}

const kind = (k: Omit<TargetKind, 'listPath' | 'objectPath'>): TargetKind => ({
  ...k,
  listPath: (ns) => `${k.api}/namespaces/${encodeURIComponent(ns)}/${k.plural}`,
  objectPath: (ns, name) => `${k.api}/namespaces/${encodeURIComponent(ns)}/${k.plural}/${encodeURIComponent(name)}`,
});

/** In the order completion offers them. */
export const TARGET_KINDS: readonly TargetKind[] = [
  kind({ kind: 'deployment', short: 'deploy', long: 'deployment', plural: 'deployments', api: '/apis/apps/v1', description: 'a running, ready pod of a deployment' }),
  kind({ kind: 'statefulset', short: 'sts', long: 'statefulset', plural: 'statefulsets', api: '/apis/apps/v1', description: 'a running, ready pod of a statefulset' }),
  kind({ kind: 'daemonset', short: 'ds', long: 'daemonset', plural: 'daemonsets', api: '/apis/apps/v1', description: 'a running, ready pod of a daemonset' }),
  kind({ kind: 'replicaset', short: 'rs', long: 'replicaset', plural: 'replicasets', api: '/apis/apps/v1', description: 'a running, ready pod of a replicaset' }),
  kind({ kind: 'job', short: 'job', long: 'job', plural: 'jobs', api: '/apis/batch/v1', description: 'a running pod of a job' }),
  kind({ kind: 'pod', short: 'pod', long: 'pod', plural: 'pods', api: '/api/v1', description: 'a pod by name' }),
];

/** Every KIND/ spelling kubectl users type (lower case), mapped to its kind. */
export const KIND_SPELLINGS: Readonly<Record<string, WorkloadKind>> = {
  po: 'pod', pod: 'pod', pods: 'pod',
  deploy: 'deployment', deployment: 'deployment', deployments: 'deployment', 'deployment.apps': 'deployment', 'deployments.apps': 'deployment',
  sts: 'statefulset', statefulset: 'statefulset', statefulsets: 'statefulset', 'statefulset.apps': 'statefulset', 'statefulsets.apps': 'statefulset',
  ds: 'daemonset', daemonset: 'daemonset', daemonsets: 'daemonset', 'daemonset.apps': 'daemonset', 'daemonsets.apps': 'daemonset',
  rs: 'replicaset', replicaset: 'replicaset', replicasets: 'replicaset', 'replicaset.apps': 'replicaset', 'replicasets.apps': 'replicaset',
  job: 'job', jobs: 'job', 'job.batch': 'job', 'jobs.batch': 'job',
};

/** The kind a spelling names, case-insensitively; own keys only ("constructor/x" is no kind). */
export function kindOf(spelling: string): TargetKind | undefined {
  const word = spelling.toLowerCase();
  const k = Object.hasOwn(KIND_SPELLINGS, word) ? KIND_SPELLINGS[word] : undefined;
  return TARGET_KINDS.find((t) => t.kind === k);
}
