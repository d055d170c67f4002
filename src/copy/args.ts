/**
 * `cp`'s command line: two operands and the session's own flags (kubeconfig,
 * -c, --image, --profile, --uid/--gid, --timeout, -q, -v...). The flags go
 * through the session's parser and validator unchanged, so a cp run and a
 * session with the same flags compute the same debugger and reuse it.
 */
import { UsageError } from '../errors.js';
import { normalizeArgv, parseArgs } from '../cli/args.js';
import { toOptions } from '../cli/options.js';
import type { Options } from '../options.js';
import { parseEndpoints, type CopyEndpoints } from './endpoints.js';

export interface CopyArgs {
  endpoints: CopyEndpoints;
  /** The session's options for the remote side (command filled in by the copy). */
  options: Options;
}

/** Flags that shape an interactive session or a plan, meaningless for a copy. */
const NOT_FOR_CP = /^--(dry-run|output|tty|copy-to|rm)(=|$)/;

export function parseCopyArgs(argv: string[], env: NodeJS.ProcessEnv): CopyArgs {
  const dash = argv.indexOf('--');
  if (dash >= 0) throw new UsageError('cp takes no command after --; write cp SOURCE DESTINATION, e.g. cp POD:/etc/app.conf .');
  const words = normalizeArgv(argv);
  const flags: string[] = [];
  const operands: string[] = [];
  for (const w of words) {
    if (w.startsWith('-') && w !== '-') {
      const m = NOT_FOR_CP.exec(w);
      if (m) throw new UsageError(`--${m[1] as string} does not apply to cp; see cp --help`);
      flags.push(w);
    } else operands.push(w);
  }
  const endpoints = parseEndpoints(operands);
  const { remote } = endpoints;
  if (remote.namespace !== undefined) {
    const given = flags.find((f) => f.startsWith('--namespace='))?.slice('--namespace='.length);
    if (given !== undefined && given !== remote.namespace) {
      throw new UsageError(`"${remote.written}" names namespace ${remote.namespace} but -n says ${given}; give the namespace once`);
    }
    if (given === undefined) flags.push(`--namespace=${remote.namespace}`);
  }
  const options = toOptions(parseArgs([...flags, remote.target]), env);
  return { endpoints, options };
}

export const CP_HELP = `Copy files and directories out of and into a distroless container, as the app's own user.

Usage:
  kubectl distroless-debug cp [flags] POD:/path LOCAL
  kubectl distroless-debug cp [flags] LOCAL POD:/path
  (POD may be pod/NAME, deploy/NAME, sts/NAME, ds/NAME, rs/NAME, job/NAME or kubectl's NAMESPACE/POD)

The copy runs BusyBox tar in the debugger (a running one is reused, as for a
session, or one is added) on the app's root, /proc/<pid>/root: the app needs no
tar and no shell. Files written into the pod belong to the app's identity.
Directories are copied whole; files, directories and symlinks keep their modes
and times. Like cp: an existing directory receives the item under its own name,
otherwise the destination is the new name. Entries that would land outside the
destination (.., absolute names, links pointing out) are refused on both sides.

Examples:
  kubectl distroless-debug cp my-app-pod:/etc/app.conf ./app.conf
  kubectl distroless-debug cp deploy/my-app:/var/log ./logs -n shop
  kubectl distroless-debug cp ./fix.json my-app-pod:/tmp/

Flags:
  -c, --container NAME     the app container (default: as for a session)
  -n, --namespace NS       and the kubeconfig flags: --context, --kubeconfig, --cluster,
                           --user, --as, --as-group, --request-timeout
  -q, --quiet              no progress and no messages (errors still print)
  -v, --verbose            requests, timings and the debugger's decisions
  --image, --profile, --uid, --gid, --env, --new, --timeout, --idle-timeout
                           choose the debugger exactly as for a session

Exit codes: as for a session, plus 66 path not found, 70 permission denied or
read-only file system, 64 a file where a directory is needed, 80 the copy is
incomplete (disk full, entries refused or unreadable: see the warnings).
`;
