import type { ProgressEvent } from '@step4/core';

/**
 * Progress on stderr: a redrawn bar on a terminal, a line at every quarter
 * otherwise (so CI logs stay short). Silent with --quiet.
 */
export function progressReporter(
  label: string,
  quiet: boolean,
): ((e: ProgressEvent) => void) & { done(): void } {
  const tty = process.stderr.isTTY === true;
  let lastQuarter = -1;
  const start = Date.now();
  const report = (e: ProgressEvent) => {
    if (quiet) return;
    const width = 28;
    const filled = Math.round((e.done / e.total) * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const line = `${label} ${bar} ${e.done}/${e.total} ${e.candidate}${e.error ? ' (failed)' : ''}`;
    if (tty) {
      process.stderr.write(`\r\x1b[2K${line}`);
    } else {
      const quarter = Math.floor((e.done / e.total) * 4);
      if (quarter !== lastQuarter) {
        lastQuarter = quarter;
        process.stderr.write(`${line}\n`);
      }
    }
    if (e.error)
      process.stderr.write(`${tty ? '\n' : ''}step4: candidate ${e.candidate} failed: ${e.error}\n`);
  };
  return Object.assign(report, {
    done() {
      if (!quiet && tty)
        process.stderr.write(`\r\x1b[2K${label} done in ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
    },
  });
}
