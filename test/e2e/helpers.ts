import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CACHE = process.env.DD_CACHE ?? `${homedir()}/.cache/distroless-debug`;
/** DD_KUBERNETES=1.29 (as for scripts/cluster): the separate cluster of that version, $CACHE/cluster-v1.29. */
export const KUBERNETES = process.env.DD_KUBERNETES || undefined;
const versionState = KUBERNETES ? `${CACHE}/cluster-v${/^v?(1\.\d+)/.exec(KUBERNETES)?.[1] ?? KUBERNETES}` : undefined;
export const STATE = process.env.DD_CLUSTER_STATE ?? versionState ?? `${CACHE}/cluster`;
export const KUBECONFIG = `${STATE}/kubeconfig`;
/** The kubectl of the cluster's own version (a version cluster links its own there). */
export const KUBECTL = existsSync(`${STATE}/kubectl`) ? `${STATE}/kubectl` : `${CACHE}/bin/kubectl`;
export const PLUGIN = `${REPO}/bin/kubectl-distroless_debug`;

/**
 * The API server the cluster's kubeconfig names (https://127.0.0.1:6443 for
 * the default cluster; a version cluster listens elsewhere). Read when asked:
 * the global setup starts the cluster after this module is loaded.
 */
export function apiServer(): URL {
  const m = /^\s*server:\s*(\S+)/m.exec(readFileSync(KUBECONFIG, 'utf8'));
  if (!m) throw new Error(`${KUBECONFIG} names no server`);
  return new URL(m[1] as string);
}
/**
 * The API server's node-side address, as the cluster's kubelet reaches it
 * (the host end of the node's veth, which the serving certificate names):
 * https://10.213.213.1:6443 for the default cluster; a version cluster has its
 * own (10.213.(200+MINOR).1 and its own port). For what runs on the node's
 * network or must not be a loopback address (proxies skip loopback).
 */
export function nodeSideApiServer(): URL {
  const file = `${STATE}/kubelet.kubeconfig`;
  const m = /^\s*server:\s*(\S+)/m.exec(readFileSync(file, 'utf8'));
  if (!m) throw new Error(`${file} names no server`);
  return new URL(m[1] as string);
}

/** A string as a literal inside a RegExp. */
export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
export const REGISTRY = '127.0.0.1:5000';
export const appImage = (tag: 'nonroot' | 'root' | 'uid1001' | 'crash' | 'setuid') => `${REGISTRY}/fixtures/app:${tag}`;

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion with optional stdin; never rejects on a non-zero exit. */
export function run(file: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: { ...process.env, KUBECONFIG, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 150_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A program that exits without reading its input closes the pipe early.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** The plugin through its real executable, as kubectl would start it. */
export const plugin = (args: string[], opts: Parameters<typeof run>[2] = {}) => run(PLUGIN, args, opts);

export async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await run(KUBECTL, ['--context', 'admin', ...args], input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export function kubectlJSON<T>(args: string[]): Promise<T> {
  return kubectl([...args, '-o', 'json']).then((s) => JSON.parse(s) as T);
}

export interface PodOptions {
  image?: string;
  namespace: string;
  name: string;
  spec?: Record<string, unknown>;
  containers?: Array<Record<string, unknown>>;
  annotations?: Record<string, string>;
  /** Wait for Ready (default true). */
  ready?: boolean;
  /** Pin to the node labelled dd.test/node=NODE (default: DD_TEST_NODE; '' for no pinning). */
  node?: string;
}

const restrictedContainerSC = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
};

/**
 * DD_TEST_NODE=containerd17 pins every test pod to the second node (label
 * and NoSchedule taint dd.test/node=VALUE, see docs/cluster.md): the whole
 * suite can run there. Unset: the scheduler picks, and the taint keeps pods
 * off the second node.
 */
export const TEST_NODE = process.env.DD_TEST_NODE || undefined;
export const NODE_LABEL = 'dd.test/node';
/** The minor version of the version cluster under test (DD_KUBERNETES=1.29 -> 29); undefined for the default cluster (1.34). */
export const KUBE_MINOR = KUBERNETES === undefined ? undefined : Number(/^v?1\.(\d+)/.exec(KUBERNETES)?.[1]);
/**
 * How the plugin names the identity of a target without securityContext: the
 * runtime's report (containerd 2.x fills status.containerStatuses[].user),
 * or, on the containerd 1.7 node, which reports none, the image config's User.
 * status.containerStatuses[].user is filled from 1.33 (SupplementalGroupsPolicy beta, on by default).
 */
export const IMAGE_IDENTITY_SOURCE =
  TEST_NODE === 'containerd17' || (KUBE_MINOR !== undefined && KUBE_MINOR < 33) ? "the image's User" : "the target's process identity reported by the runtime";

/** A pod spec with the placement DD_TEST_NODE asks for merged in (its own nodeSelector and tolerations kept). */
// ('' pins nowhere: an explicit undefined would take the default, DD_TEST_NODE.)
export function pinned(spec: Record<string, unknown>, node: string | undefined = TEST_NODE): Record<string, unknown> {
  if (!node) return spec;
  const selector = (spec.nodeSelector ?? {}) as Record<string, string>;
  const tolerations = (spec.tolerations ?? []) as unknown[];
  return {
    ...spec,
    nodeSelector: { ...selector, [NODE_LABEL]: node },
    tolerations: [...tolerations, { key: NODE_LABEL, operator: 'Equal', value: node, effect: 'NoSchedule' }],
  };
}

/** A fresh pod (ephemeral containers pile up, so tests make their own). */
export async function createPod(o: PodOptions): Promise<string> {
  const containers = o.containers ?? [
    {
      name: 'app',
      image: o.image ?? appImage('nonroot'),
      ...(o.namespace === 'psa-restricted' ? { securityContext: restrictedContainerSC } : {}),
    },
  ];
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: o.name, namespace: o.namespace, annotations: o.annotations ?? {} },
    spec: pinned({ terminationGracePeriodSeconds: 1, containers, ...o.spec }, o.node ?? TEST_NODE),
  };
  await kubectl(['apply', '-f', '-'], JSON.stringify(pod));
  if (o.ready !== false) await kubectl(['-n', o.namespace, 'wait', '--for=condition=Ready', `pod/${o.name}`, '--timeout=120s']);
  return o.name;
}

export async function ensureNamespace(ns: string, labels: Record<string, string> = {}): Promise<void> {
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } }));
}

export async function deletePod(ns: string, name: string): Promise<void> {
  await kubectl(['-n', ns, 'delete', 'pod', name, '--wait=false', '--ignore-not-found']);
}

interface PodJSON {
  metadata: { resourceVersion: string };
  spec: { ephemeralContainers?: Array<{ name: string; securityContext?: Record<string, unknown> }> };
  status: { ephemeralContainerStatuses?: Array<{ name: string; state: Record<string, { exitCode?: number; message?: string; reason?: string }> }> };
}

export const getPod = (ns: string, name: string) => kubectlJSON<PodJSON>(['-n', ns, 'get', 'pod', name]);

export async function ephemeralNames(ns: string, name: string): Promise<string[]> {
  return ((await getPod(ns, name)).spec.ephemeralContainers ?? []).map((c) => c.name);
}

export const uniq = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 7)}`;
