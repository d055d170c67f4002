/**
 * A container's `command` and `args` are not passed as written: the kubelet
 * expands `$(VAR)` from the container's environment and reads `$$` as an
 * escaped `$` (so a script's `$$`, its own PID, would arrive as `$`). Doubling
 * every `$` makes the kubelet hand the exact text to the process. Exec
 * commands are not expanded; only what goes into a pod spec needs this.
 */
export function kubeLiteral(text: string): string {
  return text.replaceAll('$', () => '$$');
}
