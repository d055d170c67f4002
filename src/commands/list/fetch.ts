import type { V1Pod } from '@kubernetes/client-node';
import { ForbiddenError } from '../../errors.js';
import { apiError, explainGetError, getPod } from '../../kube/pods.js';
import { KubeStatusError, type KubeClient } from '../../kube/rest.js';

/** A page as the API server sends it (raw JSON: `continue`, not client-node's `_continue`). */
interface PodPage {
  metadata?: { continue?: string };
  items: V1Pod[];
}

/** kubectl's default --chunk-size. */
export const DEFAULT_CHUNK = 500;

export type Scope = { kind: 'pod'; namespace: string; pod: string } | { kind: 'namespace'; namespace: string } | { kind: 'all' };

/**
 * The pods in scope, one page (`limit`/`continue`) at a time, like kubectl's
 * chunked `get`: a cluster of any size costs at most one page of memory, as
 * long as the caller keeps only what it needs from each page. The API server
 * returns pods in key order (namespace, then name) across pages.
 */
export async function* podPages(kube: KubeClient, scope: Scope, selector: string | undefined, chunk = DEFAULT_CHUNK): AsyncGenerator<V1Pod[]> {
  if (scope.kind === 'pod') {
    yield [await getPod(kube, scope.namespace, scope.pod)];
    return;
  }
  const path = scope.kind === 'all' ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(scope.namespace)}/pods`;
  let cont: string | undefined;
  do {
    let page: PodPage;
    try {
      page = await kube.get<PodPage>(path, { limit: String(chunk), continue: cont, labelSelector: selector });
    } catch (err) {
      if (scope.kind !== 'all') throw await explainGetError(kube, err, scope.namespace, 'pods', 'list pods');
      if (err instanceof KubeStatusError && err.statusCode === 403) {
        throw new ForbiddenError('not allowed to list pods in all namespaces (RBAC); ask your cluster admin for "list pods" cluster-wide, or name one namespace with -n', { cause: err });
      }
      throw err instanceof KubeStatusError ? apiError(err) : err;
    }
    cont = page.metadata?.continue || undefined;
    yield page.items;
  } while (cont);
}
