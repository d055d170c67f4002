import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Bulk output (a log file, `cat` of a large file) arrives as one short-lived
 * Buffer per WebSocket message. V8 frees their memory only when the garbage
 * collector runs, and it waits for tens of megabytes of such external memory
 * before it does, so RSS climbs during a big transfer (about +45 MiB for
 * 200 MiB). A full collection every 8 MiB costs a millisecond or two with a
 * heap this small (about 50 ms per 200 MiB) and keeps peak RSS under 90 MiB;
 * a young-generation one was measured not to help (the buffers outlive it).
 */
export function outputRecycler(everyBytes = 8 << 20): (bytes: number) => void {
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
    gc?.({ type: 'major' });
  };
}
