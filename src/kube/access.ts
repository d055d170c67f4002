import type { KubeClient } from './rest.js';

export interface AccessCheck {
  verb: string;
  resource: string;
  subresource?: string;
}

/**
 * Asks the API server what the current user may do (SelfSubjectAccessReview,
 * allowed for every authenticated user). Used to refuse before anything is
 * changed, and to choose exec or attach. Unknown answers count as allowed:
 * the real request will then say no itself.
 */
export async function canI(kube: KubeClient, ns: string, check: AccessCheck): Promise<boolean> {
  try {
    const res = await kube.request<{ status?: { allowed?: boolean } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { namespace: ns, verb: check.verb, resource: check.resource, subresource: check.subresource } },
        },
      },
    );
    return res.status?.allowed !== false;
  } catch {
    return true;
  }
}

export function describeAccess(c: AccessCheck): string {
  return `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''}`;
}
