/**
 * Exec credential plugins (gke-gcloud-auth-plugin, aws eks get-token, ...),
 * run the way client-go runs them, but with a time limit and no orphans:
 * client-node's runner waits forever and keeps no handle on the process.
 *
 * The plugin runs in its own process group so that a timeout, the plugin's
 * own exit or an interrupted run kills it together with anything it started
 * (a shell script's `sleep`, a Python helper...).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ConfigError, TimeoutError } from '../errors.js';
import { formatDuration } from '../duration.js';
import type { RawCluster, RawExecConfig } from './merge.js';

/** How long a plugin may take when --request-timeout does not say (it may ask a cloud API for a token). */
export const DEFAULT_PLUGIN_TIMEOUT_MS = 60_000;

export interface ExecCredentialStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expirationTimestamp?: string;
}

export interface PluginRun {
  exec: RawExecConfig;
  cluster: RawCluster;
  /** For messages: user "u" (context "c"). */
  who: string;
  timeoutMs: number;
  /** What the timeout came from, for the message. */
  timeoutSource: string;
  env: NodeJS.ProcessEnv;
}

const live = new Set<ChildProcess>();
let hooked = false;

/** Kills every plugin still running, with its process group. Safe to call at any time. */
export function killCredentialPlugins(): void {
  for (const child of live) killGroup(child);
  live.clear();
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/**
 * On exit, and on a signal while a plugin runs: kill the plugins. A signal
 * that nothing else handles is raised again after the cleanup, so the
 * plugin's default behaviour (and exit status) stays what it was.
 */
function hookProcessExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killCredentialPlugins);
  for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    const onSignal = (): void => {
      killCredentialPlugins();
      if (process.listenerCount(sig) === 1) {
        process.off(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

/** KUBERNETES_EXEC_INFO, as client-go fills it: never interactive (stdin is not the plugin's). */
export function execInfo(exec: RawExecConfig, cluster: RawCluster): string {
  const spec: Record<string, unknown> = { interactive: false };
  if (exec.provideClusterInfo) {
    const c: Record<string, unknown> = { server: cluster.server };
    if (cluster['certificate-authority-data']) c['certificate-authority-data'] = cluster['certificate-authority-data'];
    if (cluster['insecure-skip-tls-verify']) c['insecure-skip-tls-verify'] = true;
    if (cluster['tls-server-name']) c['tls-server-name'] = cluster['tls-server-name'];
    if (cluster['proxy-url']) c['proxy-url'] = cluster['proxy-url'];
    spec.cluster = c;
  }
  return JSON.stringify({ apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', spec });
}

function firstLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}

/** Runs the plugin once and returns its credential, or a typed error with the next step. */
export function runExecPlugin(run: PluginRun): Promise<ExecCredentialStatus> {
  const { exec, who } = run;
  const command = exec.command ?? '';
  if (!command) return Promise.reject(new ConfigError(`the exec credential plugin for ${who} has no command; fix that user entry in kubeconfig`));
  hookProcessExit();
  const env: NodeJS.ProcessEnv = { ...run.env };
  for (const e of exec.env ?? []) env[e.name] = e.value;
  env.KUBERNETES_EXEC_INFO = execInfo(exec, run.cluster);
  return new Promise((resolve, reject) => {
    const child = spawn(command, exec.args ?? [], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    live.add(child);
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (err: Error | undefined, value?: ExecCredentialStatus): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      killGroup(child); // whatever the plugin started goes with it
      live.delete(child);
      if (err) reject(err);
      else resolve(value ?? {});
    };
    const timer = setTimeout(() => {
      finish(
        new TimeoutError(
          `exec credential plugin "${command}" for ${who} did not finish within ${formatDuration(run.timeoutMs)} (${run.timeoutSource}); run it by hand to see why, or raise --request-timeout`,
        ),
      );
    }, run.timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err: NodeJS.ErrnoException) => {
      const hint = exec.installHint ? { details: exec.installHint.split('\n') } : {};
      finish(
        err.code === 'ENOENT'
          ? new ConfigError(`exec credential plugin "${command}" for ${who} was not found; install it or fix PATH`, { cause: err, ...hint })
          : new ConfigError(`exec credential plugin "${command}" for ${who} could not start (${err.code ?? err.message}); check that it is executable`, { cause: err, ...hint }),
      );
    });
    child.on('close', (code, signal) => {
      if (code !== 0) {
        const why = firstLine(stderr) || (signal ? `killed by ${signal}` : `exit code ${code}`);
        const details = [...stderr.split('\n').filter((l) => l.trim() !== ''), ...(exec.installHint?.split('\n') ?? [])];
        finish(
          new ConfigError(`exec credential plugin "${command}" for ${who} failed: ${why}; run it by hand to see why`, {
            cause: new Error(stderr.trim() || why),
            details,
          }),
        );
        return;
      }
      try {
        finish(undefined, parseCredential(stdout));
      } catch (err) {
        finish(new ConfigError(`exec credential plugin "${command}" for ${who} printed no usable credential (${(err as Error).message}); run it by hand to see why`, { cause: err }));
      }
    });
  });
}

export function parseCredential(stdout: string): ExecCredentialStatus {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new Error(stdout.trim() === '' ? 'empty output' : 'output is not JSON');
  }
  const { kind, status } = (doc !== null && typeof doc === 'object' ? doc : {}) as { kind?: unknown; status?: unknown };
  if (kind !== 'ExecCredential' || !status || typeof status !== 'object') {
    throw new Error('not an ExecCredential with a status');
  }
  const s = status as Record<string, unknown>;
  const out: ExecCredentialStatus = {};
  for (const k of ['token', 'clientCertificateData', 'clientKeyData', 'expirationTimestamp'] as const) {
    if (typeof s[k] === 'string' && s[k] !== '') out[k] = s[k] as string;
  }
  if (!out.token && !(out.clientCertificateData && out.clientKeyData)) throw new Error('neither a token nor a client certificate and key');
  return out;
}

/**
 * One plugin per connection: its credential is reused until it expires (a
 * minute early, as clock skew allows), and concurrent callers share one run.
 */
export function execCredentialSource(run: PluginRun, now: () => number = Date.now): () => Promise<ExecCredentialStatus> {
  let cached: { status: ExecCredentialStatus; until: number } | undefined;
  let pending: Promise<ExecCredentialStatus> | undefined;
  return async () => {
    if (cached && now() < cached.until) return cached.status;
    pending ??= runExecPlugin(run).then(
      (status) => {
        const expiry = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : Number.POSITIVE_INFINITY;
        cached = { status, until: Number.isNaN(expiry) ? Number.POSITIVE_INFINITY : expiry - 60_000 };
        pending = undefined;
        return status;
      },
      (err: unknown) => {
        pending = undefined;
        throw err;
      },
    );
    return pending;
  };
}
