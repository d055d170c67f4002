import type { KubeClient } from '../kube/rest.js';
import { KUBECONFIG_USER_MARK } from './record.js';

/**
 * Who the API server says we are (SelfSubjectReview, authentication.k8s.io/v1,
 * GA in 1.28, allowed for every authenticated user): the name it authorises
 * and audits, impersonation included. A server that does not answer it (older,
 * or a proxy in the way) leaves the kubeconfig's user name, marked as such so
 * nobody mistakes it for an authenticated name. Never throws.
 */
export async function whoAmI(kube: KubeClient, kubeconfigUser: string, timeoutMs = 5_000): Promise<string> {
  try {
    const res = await kube.request<{ status?: { userInfo?: { username?: string } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      timeoutMs,
    });
    const name = res.status?.userInfo?.username;
    if (name) return name;
  } catch {
    // fall through to the kubeconfig's word
  }
  return `${kubeconfigUser || 'unknown'}${KUBECONFIG_USER_MARK}`;
}
