/**
 * `kubectl_complete-distroless_debug ARGS...`: what kubectl 1.26+ runs to
 * complete `kubectl distroless-debug ARGS...`. Prints cobra's completion
 * format on stdout and nothing on stderr (kubectl passes stderr to the
 * terminal, in the middle of the user's prompt); always exits 0, because
 * kubectl drops every candidate of a failed run. Debug lines go to the file
 * named by BASH_COMP_DEBUG_FILE, as with cobra programs.
 */
import { complete, render, analyze, kubeconfigFlags, type DebugLog } from './candidates.js';
import { clusterSource } from './cluster.js';
import { Directive } from './spec.js';

/** The completion executable's name: kubectl looks it up on PATH. */
export const COMPLETION_COMMAND = 'kubectl_complete-distroless_debug';

export interface CompletionIO {
  stdout: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/**
 * node:fs only when a debug file is named: an ESM import of node:fs builds
 * its namespace from every export, which loads fs streams (~10 ms at each
 * TAB, measured with --cpu-prof).
 */
async function debugLog(file: string | undefined): Promise<DebugLog> {
  if (!file) return () => {};
  const { appendFileSync } = await import('node:fs');
  return (line) => {
    try {
      appendFileSync(file, `distroless-debug completion: ${line}\n`);
    } catch {
      // debugging must never break completion
    }
  };
}

export async function completionMain(argv: string[], io: CompletionIO = process): Promise<number> {
  const debug = await debugLog(io.env.BASH_COMP_DEBUG_FILE);
  let out: string;
  try {
    const source = clusterSource(kubeconfigFlags(analyze(argv).line), io.env, debug);
    out = render(await complete(argv, source, debug));
  } catch (err) {
    debug(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    out = render({ candidates: [], directive: Directive.noFileComp });
  }
  await new Promise<void>((resolve) => io.stdout.write(out, () => resolve()));
  return 0;
}
