import type { ClusterConnection } from '../kubeconfig/load.js';
import type { KubeClient } from '../kube/rest.js';
import type { DebugPlan } from '../plan/plan.js';
import type { Emit } from '../progress/events.js';
import { runStream, type StreamKind } from '../stream/client.js';
import { enterRawMode, type TerminalHandle } from '../terminal/tty.js';

/**
 * Joins the local terminal (or pipes) to an exec/attach stream. With a TTY
 * the terminal goes raw for the session and is restored on every way out.
 */
export async function streamSession(input: {
  kube: KubeClient;
  conn: ClusterConnection;
  plan: DebugPlan;
  container: string;
  kind: StreamKind;
  command: string[];
  io: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };
  emit: Emit;
  onOutput?: () => void;
}): Promise<number | undefined> {
  const { plan, io } = input;
  const tty = plan.session.tty;
  let terminal: TerminalHandle | undefined;
  if (tty && io.stdin.isTTY) terminal = enterRawMode(io.stdin, io.stdout);
  try {
    const size = terminal?.size();
    const result = await runStream(
      {
        server: input.conn.server,
        requestOptions: await input.conn.requestOptions(),
        namespace: plan.namespace,
        pod: plan.pod,
        container: input.container,
        kind: input.kind,
        command: input.command,
        stdin: plan.session.stdin,
        tty,
        log: (line) => input.emit({ kind: 'debug', text: line }),
        ...(input.onOutput ? { onOutput: input.onOutput } : {}),
      },
      {
        ...(plan.session.stdin ? { stdin: io.stdin } : {}),
        stdout: io.stdout,
        stderr: io.stderr,
        ...(size ? { initialSize: size } : {}),
        ...(terminal ? { resizes: (f) => terminal!.onResize(f) } : {}),
      },
    );
    input.emit({ kind: 'debug', text: `stream closed (${result.protocol}), exit code ${result.exitCode ?? 'none'}` });
    return result.exitCode;
  } finally {
    terminal?.restore();
  }
}
