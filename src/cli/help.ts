import { DEFAULT_IMAGE } from '../plan/default-image.js';

/**
 * Static help: printed without loading the argument parser or the Kubernetes
 * client, so `--help` costs no more than starting Node.
 */
export const HELP = `Open a shell inside a distroless container's filesystem, as the app's own user.

Usage:
  kubectl distroless-debug [pod/]NAME | deploy/NAME | sts/NAME | ds/NAME | rs/NAME | job/NAME [flags] [-- COMMAND [ARG...]]

Adds a BusyBox ephemeral container that shares the target's process namespace,
runs it as the target's UID/GID (detected), and opens a shell whose working
directory is the app's root (/proc/<pid>/root). A running debugger is reused by
later sessions; it exits by itself after --idle-timeout without a session.

Examples:
  # Shell in the app's files (cd returns there; $TARGET_ROOT and $TARGET_PID are set)
  kubectl distroless-debug my-app-7d9c-x2x4p

  # A ready pod of a deployment, in another namespace and container
  kubectl distroless-debug deploy/my-app -n shop -c app

  # One command for a runbook: exit code is the command's, output is predictable
  kubectl distroless-debug my-app-pod -q -- cat etc/config.yaml

  # Copy a file out of a container that has no tar
  kubectl distroless-debug my-app-pod -q -- cat var/log/app.log > app.log

  # See exactly what would be added, change nothing
  kubectl distroless-debug my-app-pod --dry-run -o yaml

Target:
  -c, --container NAME        container to debug (default: the kubectl.kubernetes.io/default-container
                              annotation, else the only or first container)
Debugger:
      --image IMAGE           debug image (default ${DEFAULT_IMAGE}; env DISTROLESS_DEBUG_IMAGE)
      --image-pull-policy P   Always | IfNotPresent | Never
      --uid ID, --gid ID      run as this identity instead of the detected one (--gid needs --uid)
      --profile P             auto | restricted | baseline | general (default auto: the least
                              privilege that opens the target, within the namespace's Pod Security).
                              Not kubectl's --profile (cpu/heap profiling of kubectl itself), which
                              does not apply to a plugin
      --env NAME=VALUE        extra environment for the debugger (repeatable; DD_* is reserved)
      --new                   always add a new debugger, never reuse a running one
      --timeout D             how long to wait for the debugger to start (default 2m; 0 = no limit)
      --idle-timeout D        the debugger exits after this long with no session (default 10m; 0 = never)
      --no-pull-secrets       never read the pod's image pull secrets to ask the registry for the image's
                              user (env DISTROLESS_DEBUG_NO_PULL_SECRETS=1)
Session:
  -t, --tty                   allocate a terminal for COMMAND (the shell gets one when stdin is a terminal)
      --dry-run[=client|server]  print the plan, change nothing (server: the API server validates it)
  -o, --output yaml|json      format for --dry-run (default yaml)
  -q, --quiet                 print nothing but the session's own output and errors
  -v, --verbose               details, timings and API calls on stderr (credentials redacted);
                              kubectl's -v N and -v=N levels are accepted and mean the same
Record:
      --reason TEXT           why, kept in a new debugger's spec with who opened it and when
                              (env DISTROLESS_DEBUG_REASON; shown by list)
      --record FILE           write the session as an asciicast v2 recording, as it happens
      --record-input          with --record: also record what you type (passwords too)
Crash-looping or completed target:
      --copy-to NAME          debug a copy of the pod whose app idles in BusyBox ($APP_COMMAND holds
                              its command); needs create pods and pods/exec
      --rm                    delete the --copy-to copy when the session ends
Cluster (as kubectl):
      --kubeconfig FILE, --context NAME, --cluster NAME, --user NAME,
  -n, --namespace NS, --as USER, --as-group GROUP, --as-uid UID, --request-timeout D
                              (--request-timeout also bounds exec credential plugins: 60s if unset or 0)
  -s, --server URL, --token T, --certificate-authority FILE, --client-certificate FILE,
      --client-key FILE, --insecure-skip-tls-verify, --tls-server-name NAME,
      --username NAME, --password P
                              override the kubeconfig's entries as in kubectl
      --warnings-as-errors    the API server's warnings (shown as they come) fail the run: exit 78
      --cache-dir, --disable-compression, --match-server-version,
      --log-flush-frequency, --vmodule, --profile-output, --kuberc
                              accepted for kubectl compatibility; no effect (-v says why)
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY and kubeconfig proxy-url apply as in kubectl; inside a pod
  with no kubeconfig, the ServiceAccount's in-cluster configuration is used.

Durations (D): 30s, 1m30s, 1.5h, 500ms (units ns, us, ms, s, m, h) or bare seconds, as kubectl
takes them; at most 596h for --timeout and --idle-timeout.
Subcommands (each has --help; the subcommand comes first):
  list [POD | -n NS | -A]     the debuggers in pods: state, who opened them, when, why
  stop POD [DEBUGGER...]      end running debuggers now (or every one in a namespace: stop -h)
  cp POD:/path LOCAL | cp LOCAL POD:/path   copy files out of or into the app's filesystem
Other:
  -h, --help                  this help
      --version               print the version

Exit codes: the remote command's own code when it ran; else 0 ok, 64 usage, 65 kubeconfig,
66 not found, 67 ambiguous workload, 68 pod/container not running, 69 ephemeral containers
unsupported, 70 RBAC forbidden, 71 Pod Security rejected, 72 image pull failed, 73 timeout,
74 exec/attach refused, 75 connection lost, 76 target's files unreachable, 77 debugger failed,
78 other API error, 79 internal error; 128+signal when ended by one: 129 SIGHUP, 130 SIGINT,
143 SIGTERM.
`;
