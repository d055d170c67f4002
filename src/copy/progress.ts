/**
 * cp's progress bar on stderr: bytes, rate, and the ETA when the size is
 * known. Drawn only on a terminal, only once a transfer has taken more than
 * a moment, never with -q; a summary line at the end when it was drawn.
 * formatProgress is pure.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? String(Math.round(v)) : v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]}`;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export interface ProgressState {
  done: number;
  total: number | undefined;
  elapsedMs: number;
  /** Columns available. */
  width: number;
}

/** One line: `[=====>     ]  48% 96.0 MiB / 200 MiB  41.2 MiB/s  ETA 3s` (no bar or ETA without a total). */
export function formatProgress(s: ProgressState): string {
  const rate = s.elapsedMs > 0 ? (s.done * 1000) / s.elapsedMs : 0;
  const rateText = `${formatBytes(rate)}/s`;
  if (s.total === undefined || s.total <= 0) return `${formatBytes(s.done)}  ${rateText}`;
  const frac = Math.min(1, s.done / s.total);
  const eta = rate > 0 ? Math.max(0, s.total - s.done) / rate : Number.NaN;
  const text = `${String(Math.floor(frac * 100)).padStart(3)}% ${formatBytes(s.done)} / ${formatBytes(s.total)}  ${rateText}  ETA ${formatSeconds(eta)}`;
  const barWidth = Math.min(30, s.width - text.length - 4);
  if (barWidth < 5) return text;
  const filled = Math.floor(frac * barWidth);
  const bar = '='.repeat(filled) + (filled < barWidth ? '>' : '') + ' '.repeat(Math.max(0, barWidth - filled - 1));
  return `[${bar}] ${text}`;
}

export interface Progress {
  /** The size, once known (the pod reports it for copies out). */
  setTotal(n: number | undefined): void;
  add(n: number): void;
  /** Transfer begins (the clock starts). */
  start(): void;
  /** Clears the bar; returns the summary line when the bar had been shown. */
  stop(): string | undefined;
}

export function progressBar(out: NodeJS.WriteStream, enabled: boolean, delayMs = 700): Progress {
  let done = 0;
  let total: number | undefined;
  let t0 = 0;
  let timer: NodeJS.Timeout | undefined;
  let shown = false;
  const draw = () => {
    shown = true;
    const width = out.columns && out.columns > 0 ? out.columns : 80;
    out.write(`\r\x1b[K${formatProgress({ done, total, elapsedMs: Date.now() - t0, width: width - 1 })}`);
  };
  return {
    setTotal(n) {
      total = n;
    },
    add(n) {
      done += n;
    },
    start() {
      if (t0 !== 0) return;
      t0 = Date.now();
      if (!enabled) return;
      // Nothing for a transfer that takes less than a moment.
      timer = setTimeout(() => {
        draw();
        timer = setInterval(draw, 200);
        timer.unref();
      }, delayMs);
      timer.unref();
    },
    stop() {
      clearTimeout(timer);
      clearInterval(timer);
      if (!shown) return undefined;
      out.write('\r\x1b[K');
      const ms = Date.now() - t0;
      return `copied ${formatBytes(done)} in ${(ms / 1000).toFixed(1)}s (${formatBytes(ms > 0 ? (done * 1000) / ms : 0)}/s)`;
    },
  };
}
