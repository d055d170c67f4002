import { PassThrough, Writable } from 'node:stream';
import type { ClusterConnection } from '../kubeconfig/load.js';
import { GUARD_DELAY_SECONDS, guardScript, HEARTBEAT_SECONDS } from '../plan/scripts.js';
import type { Emit } from '../progress/events.js';
import { runStream } from '../stream/client.js';

export interface GuardInput {
  conn: ClusterConnection;
  namespace: string;
  pod: string;
  container: string;
  sessionId: string;
  /** The keeper's lease: the guard gives up after this long without a heartbeat. */
  leaseSeconds: number;
  emit: Emit;
}

export interface Guard {
  /** Ends the heartbeats and the guard's stream (the session is over). */
  close(): void;
}

const discard = () => new Writable({ write: (_c, _e, done) => done() });

/**
 * Keeps a session's lease in the debugger alive while this process and its
 * connection are. A separate exec, because the session's own stdin belongs
 * to the user (and with a terminal it never ends). Opened only once the
 * session has lasted a moment, so short commands pay nothing for it; the
 * keeper trusts a new session for its first lease period anyway.
 */
export function startGuard(input: GuardInput): Guard {
  const ctl = new AbortController();
  const log = (line: string) => input.emit({ kind: 'debug', text: line });
  let beat: NodeJS.Timeout | undefined;
  const run = async (): Promise<void> => {
    while (!ctl.signal.aborted) {
      const heartbeats = new PassThrough();
      heartbeats.write('\n');
      beat = setInterval(() => heartbeats.write('\n'), HEARTBEAT_SECONDS * 1000);
      beat.unref();
      try {
        log(`guard: opening the heartbeat exec for session ${input.sessionId}`);
        await runStream(
          {
            server: input.conn.server,
            requestOptions: await input.conn.requestOptions(),
            namespace: input.namespace,
            pod: input.pod,
            container: input.container,
            kind: 'exec',
            command: ['/bin/sh', '-c', guardScript(), 'distroless-debug-guard', input.sessionId, String(input.leaseSeconds)],
            stdin: true,
            tty: false,
            // Its input ends with its connection: v4 serves it (a TTY session's guard on a v4-only proxy).
            inputMustEnd: false,
          },
          { stdin: heartbeats, stdout: discard(), stderr: discard() },
          ctl.signal,
        );
      } catch (err) {
        log(`guard: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        clearInterval(beat);
      }
      // The guard ended while the session goes on (a refused or cut stream):
      // open another before the lease runs out.
      await sleep(1000, ctl.signal);
    }
  };
  const timer = setTimeout(() => void run(), GUARD_DELAY_SECONDS * 1000);
  timer.unref();
  return {
    close() {
      clearTimeout(timer);
      clearInterval(beat);
      ctl.abort();
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
