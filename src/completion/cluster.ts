/**
 * The CompletionSource of a real shell: names from the kubeconfig files and
 * from the cluster, through the plugin's own kubeconfig loader and KubeClient
 * (same credentials, impersonation and proxy as a session). Each read is short
 * (--request-timeout, default 5s here) so that a dead cluster never hangs the
 * shell.
 */
import { KubeClient } from '../kube/rest.js';
import { loadConnection, readMergedKubeconfig, type ClusterConnection, type KubeconfigFlags } from '../kubeconfig/load.js';
import type { RawKubeconfig } from '../kubeconfig/merge.js';
import type { CompletionSource, DebugLog } from './candidates.js';
import { kindOf } from '../kinds.js';
import { TARGET_KINDS, type TargetKind } from './spec.js';

export const COMPLETION_REQUEST_TIMEOUT = '5s';

interface Named {
  metadata?: { name?: string; deletionTimestamp?: string };
}
interface List<T> {
  items?: T[];
}
interface ContainerList {
  containers?: Array<{ name?: string }>;
}
interface PodLike extends Named {
  spec?: ContainerList & { template?: { spec?: ContainerList } };
}

const names = (list: List<Named>): string[] =>
  (list.items ?? []).filter((i) => !i.metadata?.deletionTimestamp).flatMap((i) => (i.metadata?.name ? [i.metadata.name] : []));

/**
 * Lists are asked for as a server-side Table without objects (what
 * `kubectl get` prints, cells only): a few dozen bytes a row where whole pods
 * run to kilobytes each (tens of megabytes for a namespace of hundreds), so
 * the API server encodes, and we read and parse, little. A server that does
 * not do Tables answers the plain list (the JSON fallback in the Accept).
 */
export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

export interface TableList extends List<Named> {
  kind?: string;
  columnDefinitions?: Array<{ name?: string }>;
  rows?: Array<{ cells?: unknown[] }>;
}

/**
 * Names from a Table (or, when the server sent the plain list, from its
 * items). Rows whose Status cell says the object is going away (a pod or
 * namespace being deleted: Terminating; a deleted pod on an unreachable
 * node: Unknown) are left out, as deletionTimestamp leaves them out of a list.
 */
export function tableNames(t: TableList): string[] {
  if (t.kind !== 'Table') return names(t);
  const cols = (t.columnDefinitions ?? []).map((c) => (c.name ?? '').toLowerCase());
  const nameAt = cols.indexOf('name');
  const statusAt = cols.indexOf('status');
  if (nameAt < 0) return [];
  return (t.rows ?? []).flatMap((r) => {
    const name = r.cells?.[nameAt];
    const status = statusAt < 0 ? undefined : r.cells?.[statusAt];
    if (typeof name !== 'string' || name === '') return [];
    return status === 'Terminating' || status === 'Unknown' ? [] : [name];
  });
}

const tableQuery = { includeObject: 'None' } as const;

export function clusterSource(flags: KubeconfigFlags, env: NodeJS.ProcessEnv, debug: DebugLog): CompletionSource {
  let connection: Promise<{ kube: KubeClient; conn: ClusterConnection }> | undefined;
  const client = () =>
    (connection ??= loadConnection({ ...flags, requestTimeout: flags.requestTimeout ?? COMPLETION_REQUEST_TIMEOUT }, env).then((conn) => ({
      conn,
      kube: new KubeClient(conn, debug),
    })));
  const inNamespace = async (namespace: string | undefined) => {
    const { kube, conn } = await client();
    return { kube, namespace: namespace ?? conn.namespace };
  };
  let kubeconfig: Promise<RawKubeconfig> | undefined;
  // Completion never fails loudly: a missing or broken kubeconfig offers nothing.
  const config = () => (kubeconfig ??= readMergedKubeconfig(flags, env).catch((): RawKubeconfig => ({})));

  return {
    async pods(namespace) {
      const c = await inNamespace(namespace);
      const pods = TARGET_KINDS.find((k) => k.kind === 'pod')?.listPath(c.namespace) ?? '';
      return tableNames(await c.kube.request<TableList>('GET', pods, { query: { fieldSelector: 'status.phase=Running', ...tableQuery }, accept: TABLE_ACCEPT }));
    },
    async workloads(kind: TargetKind, namespace) {
      const c = await inNamespace(namespace);
      return names(await c.kube.get<List<Named>>(kind.listPath(c.namespace)));
    },
    async containers(target, namespace) {
      const slash = target.indexOf('/');
      const kind = kindOf(slash < 0 ? 'pod' : target.slice(0, slash));
      const name = target.slice(slash + 1);
      if (!kind || !name) return [];
      const c = await inNamespace(namespace);
      const obj = await c.kube.get<PodLike>(`${kind.listPath(c.namespace)}/${encodeURIComponent(name)}`);
      const spec = kind.kind === 'pod' ? obj.spec : obj.spec?.template?.spec;
      return (spec?.containers ?? []).flatMap((x) => (x.name ? [x.name] : []));
    },
    async namespaces() {
      const { kube } = await client();
      return tableNames(await kube.request<TableList>('GET', '/api/v1/namespaces', { query: tableQuery, accept: TABLE_ACCEPT }));
    },
    async contexts() {
      return ((await config()).contexts ?? []).map((c) => c.name);
    },
    async clusters() {
      return ((await config()).clusters ?? []).map((c) => c.name);
    },
    async users() {
      return ((await config()).users ?? []).map((u) => u.name);
    },
  };
}
