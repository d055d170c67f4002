/**
 * The typed options of one run, as every layer below the CLI sees them. The
 * CLI (src/cli/options.ts) builds them from flags; plan/, kube/ and session/
 * read them without reaching up into the CLI.
 */
import type { WorkloadKind } from './kinds.js';
import type { KubeconfigFlags } from './kubeconfig/load.js';
import type { ProfileName } from './plan/security.js';

export interface TargetRef {
  kind: WorkloadKind;
  name: string;
}

export type DryRun = 'none' | 'client' | 'server';
export type OutputFormat = 'yaml' | 'json';

/** Every flag, converted and validated: nothing here needs the network. */
export interface Options {
  ref: TargetRef;
  command: string[];
  container: string | undefined;
  image: string;
  imagePullPolicy: string | undefined;
  uid: number | undefined;
  gid: number | undefined;
  profile: ProfileName;
  env: Record<string, string>;
  forceNew: boolean;
  timeoutMs: number;
  idleTimeoutSeconds: number;
  dryRun: DryRun;
  output: OutputFormat | undefined;
  quiet: boolean;
  verbose: boolean;
  tty: boolean | undefined;
  kube: KubeconfigFlags;
  /** false: never read the pod's pull secrets (--no-pull-secrets); absent: read them when allowed. */
  pullSecrets?: false;
  /** --reason / DISTROLESS_DEBUG_REASON: why, in a new debugger's record. */
  reason?: string | undefined;
  /** --record FILE: the session as an asciicast v2 file; --record-input adds what was typed. */
  record?: { file: string; input: boolean } | undefined;
  /** --copy-to NAME: debug a copy of the pod (crash-looping or completed targets). */
  copyTo?: string;
  /** --rm: delete the --copy-to copy when the session ends. */
  rm?: boolean;
  /** kubectl's --warnings-as-errors: API server warnings fail the run after it (exit 78). */
  warningsAsErrors?: boolean;
  /** Said once under -v: kubectl flags that were accepted but cannot apply to a plugin. */
  notes?: string[];
}
