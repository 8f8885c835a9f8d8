import type { SweepProgress } from './sweep.js';

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * A sweep's progress on stderr: a redrawn bar with the ETA on a terminal, a
 * line per tenth otherwise (CI logs stay short); every failed cell is a line
 * of its own. Silent when `quiet`.
 */
export function sweepProgressBar(
  quiet: boolean,
  stream: NodeJS.WriteStream = process.stderr,
): ((p: SweepProgress) => void) & { done(): void } {
  const tty = stream.isTTY === true;
  let lastTenth = -1;
  let drawn = false;
  const report = (p: SweepProgress) => {
    if (quiet) return;
    const width = 28;
    const filled = p.total === 0 ? width : Math.round((p.done / p.total) * width);
    const eta = p.etaMs === undefined ? '' : ` ETA ${duration(p.etaMs)}`;
    const line = `sweep [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total} cells${p.cached ? ` (${p.cached} cached)` : ''}${p.failed ? `, ${p.failed} failed` : ''}, ${duration(p.elapsedMs)}${eta}`;
    if (p.error) stream.write(`${drawn ? '\r\x1b[2K' : ''}step4: cell ${p.cell} failed: ${p.error}\n`);
    if (tty) {
      stream.write(`\r\x1b[2K${line}`);
      drawn = true;
    } else {
      const tenth = p.total === 0 ? 10 : Math.floor((p.done / p.total) * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        stream.write(`${line}\n`);
      }
    }
  };
  return Object.assign(report, {
    done() {
      if (!quiet && tty && drawn) stream.write('\n');
    },
  });
}
