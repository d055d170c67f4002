/**
 * The warm path's head start. `kubectl exec` is talking to the API server
 * about 20 ms after it starts; Node still has the session code to load. So
 * as soon as the flags are valid, and before that code loads, this loads the
 * kubeconfig, looks up the remembered debugger and, when there is one, opens
 * the TLS connection its exec will use: the handshake runs while the plugin
 * loads. Nothing is sent before the session asks for it, and nothing here
 * changes anything anywhere.
 */
import type { Options } from '../options.js';
import { loadConnection, type ClusterConnection } from '../kubeconfig/load.js';
import { canPreconnect, preconnect } from '../stream/preconnect.js';
import { readWarm, warmFile, warmKey, type WarmEntry } from './warm-cache.js';

export interface HeadStart {
  /** The kubeconfig's connection (its rejection is the run's error); with the early connection to take when there is one. */
  connection: Promise<ClusterConnection>;
  /** The remembered debugger for these options, if any. */
  warm: Promise<WarmEntry | undefined>;
  /** How long loading the kubeconfig took (for -v's timing line; it ran before the run began). */
  kubeconfigMs: Promise<number>;
  /** -v lines from the kubeconfig's loading, said once the run can say them. */
  flushLog(say: (line: string) => void): void;
  /** Closes the early connection if the run did not use it. */
  close(): void;
}

/** Where the warm path can apply: a session on a pod, not forced new, not a dry run. */
export function warmPathPossible(options: Options): boolean {
  return options.dryRun === 'none' && !options.forceNew && options.ref.kind === 'pod' && options.copyTo === undefined;
}

export function headStart(options: Options, env: NodeJS.ProcessEnv): HeadStart {
  const lines: string[] = [];
  let say = (line: string): void => void lines.push(line);
  let early: ReturnType<typeof preconnect> | undefined;
  const t0 = performance.now();
  const loaded = loadConnection(options.kube, env, (line) => say(line));
  const kubeconfigMs = loaded.then(
    () => performance.now() - t0,
    () => performance.now() - t0,
  );
  const warm = warmPathPossible(options)
    ? loaded.then((conn) => readWarm(warmFile(env), warmKey(`${conn.server}#${conn.userName}#${options.kube.as ?? ''}`, conn.namespace, options)))
    : Promise.resolve(undefined);
  const connection = Promise.all([loaded, warm]).then(async ([conn, entry]) => {
    if (!entry) return conn;
    // A credential that cannot be had now fails the exec's own request, with its own message.
    const opts = await conn.requestOptions().catch(() => undefined);
    if (!opts || !canPreconnect(conn.server, opts)) return conn;
    say(`opening the connection to ${conn.server} ahead of the exec`);
    const socket = (early = preconnect(conn.server, opts));
    return { ...conn, takeSocket: () => socket.take() };
  });
  // Awaited by the run; until then a rejection must not count as unhandled.
  connection.catch(() => undefined);
  warm.catch(() => undefined);
  return {
    connection,
    warm,
    kubeconfigMs,
    flushLog(to) {
      for (const line of lines.splice(0)) to(line);
      say = to;
    },
    close() {
      early?.drop();
    },
  };
}
