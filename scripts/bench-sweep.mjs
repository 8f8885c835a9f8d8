#!/usr/bin/env node
// Sweep benchmarks (issue #15), figures only: cells per minute locally with 1
// and 2 workers and through BullMQ with 2 `step4 worker` processes (a
// redis-server on a free loopback port, no persistence), and the
// coordinator's overhead per cell (a second queue sweep whose cells are all
// finished jobs: what the coordinator itself costs per cell).
// Build first (`pnpm build`); needs `redis-server` on the PATH for the queue figures.
// Usage: node scripts/bench-sweep.mjs [--cells-json]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'step4-bench-sweep-'));
// A small grid (static and heuristic families), the 2- and 3-sleeve universes of three embedded sleeves, two cost variants: 8 cells.
const sweep = {
  sleeves: { spy: 'embedded:spy', qqq: 'embedded:qqq', btc: 'embedded:btc' },
  universes: { minSize: 2, maxSize: 3 },
  options: { bootstrapSamples: 200, spaReplications: 200, pboBlocks: 8 },
  variants: [
    [
      { turn_cost_bps: 12, gross_cost_bps: 6 },
      { turn_cost_bps: 24, gross_cost_bps: 12 },
    ],
  ],
  grids: Object.fromEntries(
    ['regime_guard', 'ml_lr', 'ml_rf', 'regime_rf', 'ml_dual_ridge'].map((f) => [f, { disable: true }]),
  ),
};
writeFileSync(join(dir, 'sweep.json'), JSON.stringify(sweep));
const CELLS = 8;

function run(args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`step4 ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const perMinute = (seconds) => ((CELLS / seconds) * 60).toFixed(1);

const local1 = run(['sweep', 'sweep.json', '--out-dir', 'l1', '--workers', '1', '--quiet']);
console.log(`local, 1 worker:  ${perMinute(local1)} cells/min (${local1.toFixed(1)} s for ${CELLS} cells)`);
const local2 = run(['sweep', 'sweep.json', '--out-dir', 'l2', '--workers', '2', '--quiet']);
console.log(`local, 2 workers: ${perMinute(local2)} cells/min (${local2.toFixed(1)} s for ${CELLS} cells)`);
const cachedLocal = run(['sweep', 'sweep.json', '--out-dir', 'l2', '--quiet']);
console.log(
  `local, all cells cached: ${((cachedLocal / CELLS) * 1000).toFixed(0)} ms per cell (start-up included)`,
);

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedis) {
  console.log('queue: skipped (no redis-server on the PATH)');
} else {
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  await new Promise((r) => setTimeout(r, 500));
  const workers = [0, 1].map(() =>
    spawn(process.execPath, [cli, 'worker', '--queue', url, '--quiet'], { cwd: dir, stdio: 'ignore' }),
  );
  try {
    await new Promise((r) => setTimeout(r, 1500));
    const queued = run(['sweep', 'sweep.json', '--out-dir', 'q2', '--queue', url, '--quiet']);
    console.log(
      `queue, 2 workers: ${perMinute(queued)} cells/min (${queued.toFixed(1)} s for ${CELLS} cells)`,
    );
    // Every cell is a finished job now: a fresh output folder measures the coordinator alone.
    const overhead = run(['sweep', 'sweep.json', '--out-dir', 'q-overhead', '--queue', url, '--quiet']);
    console.log(
      `coordinator overhead: ${((overhead / CELLS) * 1000).toFixed(0)} ms per cell (${overhead.toFixed(2)} s for ${CELLS} finished cells, start-up included)`,
    );
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    redis.kill('SIGKILL');
  }
}
rmSync(dir, { recursive: true, force: true });
