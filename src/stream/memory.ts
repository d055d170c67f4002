import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Bulk output (a log file, `cat` of a large file) arrives as one short-lived
 * Buffer per socket read and per WebSocket message: their memory lives
 * outside V8's heap, while the objects that hold it are tiny and die young.
 * V8 collects them only when the young generation fills (rarely: little JS
 * is allocated) or external memory grows by tens of megabytes, so without
 * help RSS climbs by 30-45 MiB during a 200 MiB transfer. A young-generation
 * collection every 2 MiB frees them while they are still young and costs
 * little; a full collection every 8 MiB (what this did before) kept RSS down
 * too but cost 0.3-0.5 s of CPU per 200 MiB on Node 22 (the single
 * executable's), measured with `/usr/bin/time` on `-- head -c 200M /dev/zero`:
 * minor/2 MiB 0.7 s user and 82 MiB peak, major/8 MiB 1.1-1.4 s and 96-100
 * MiB, none 0.7-0.8 s and 115-119 MiB (Node 20: 0.8 s/73 MiB, 0.85 s/85 MiB,
 * 0.97 s/99-105 MiB). Whatever outlives the young generation (a page of
 * pods in `list`) needs `major`.
 */
export function outputRecycler(everyBytes = 2 << 20, type: 'minor' | 'major' = 'minor'): (bytes: number) => void {
  let gc: ((options?: { type: 'minor' | 'major' }) => void) | undefined;
  let pending = 0;
  return (bytes) => {
    pending += bytes;
    if (pending < everyBytes) return;
    pending = 0;
    if (!gc) {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as typeof gc;
    }
    gc?.({ type });
  };
}
