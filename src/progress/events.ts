/**
 * Everything the plugin tells the user while it works, as data. The session
 * code only emits events; a sink decides how they look (spinner on a
 * terminal, plain lines in a runbook, nothing with -q).
 */
export type ProgressEvent =
  | { kind: 'step'; text: string } // a phase begins (spinner text)
  | { kind: 'info'; text: string } // a decision worth keeping on screen
  | { kind: 'waiting'; reason: string; message: string | undefined } // the kubelet's waiting reason
  | { kind: 'warn'; text: string }
  | { kind: 'ready'; text: string } // the last step before the session's own output
  | { kind: 'debug'; text: string } // -v only
  | { kind: 'timing'; phase: string; ms: number }; // -v only

export interface ProgressSink {
  emit(e: ProgressEvent): void;
  /** Stops any animation before the session takes over the terminal. */
  close(): void;
}

export type Emit = (e: ProgressEvent) => void;
