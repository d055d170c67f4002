/**
 * Which archive entries may be written, and which links may be made: nothing
 * lands outside the destination, whatever the other side sends. Pure.
 *
 * A pod is not trusted: an app's filesystem can hold a link to /etc/passwd,
 * and a crafted archive can name "../../.bashrc" or "/etc/cron.d/x", or write
 * "dir/x" after making "dir" a link to somewhere else (kubectl cp's CVEs).
 * The copy refuses the first two here; the third is refused where entries
 * are written (no entry is ever written through a link: see local-tar.ts).
 */

export type Refusal = { refused: true; reason: string };

/**
 * An entry's name as path components below the archive's top, or why it is
 * refused. "./" prefixes are the archive's own spelling and are dropped.
 */
export function entryComponents(name: string): string[] | Refusal {
  if (name.startsWith('/')) return { refused: true, reason: 'its name is absolute' };
  const parts: string[] = [];
  for (const comp of name.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp === '..') return { refused: true, reason: 'its name climbs out with ".."' };
    parts.push(comp);
  }
  return parts;
}

export function isRefusal(v: unknown): v is Refusal {
  return typeof v === 'object' && v !== null && (v as Refusal).refused === true;
}

/**
 * Whether a symlink at `at` (its path components, the copied tree's top
 * first; callers copying a whole root pass a placeholder top) pointing at `target` stays inside the copied
 * tree. Absolute targets never do: they would mean the local machine's own
 * root. The walk may not leave the tree even on the way (`../../top/x`).
 */
export function linkStaysInside(at: string[], target: string): boolean {
  if (target === '' || target.startsWith('/')) return false;
  const stack = at.slice(0, -1);
  for (const comp of target.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp === '..') {
      // stack[0] is the top: popping it leaves the tree.
      if (stack.length <= 1) return false;
      stack.pop();
      continue;
    }
    stack.push(comp);
  }
  return true;
}

/** The description of an entry for refusal warnings. */
export function describeRefusal(name: string, reason: string): string {
  return `refused "${name}": ${reason}; it would land outside the destination`;
}
