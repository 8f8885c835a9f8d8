import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type FamilyRegistry, InputError, firstLineOf, loadSleeveTable, runInWorkers } from '@step4/core';
import { defaultJobs } from '@step4/core/run-options';
import type { FamilyReference } from '@step4/engine';
import { checkOutDir, stableJson, writeOutputFolder } from '@step4/report';
import {
  type CellSpec,
  type GridFor,
  type SweepCell,
  canonicalJson,
  expandCells,
  packageVersions,
} from './cells.js';
import type { LoadedSweep } from './config.js';
import { type LeaderboardRow, leaderboardRows, leaderboardToParquet } from './leaderboard.js';
import type { LocalCellTask, LocalWorkerSetup } from './local-worker.js';
import { type QueueSettings, runCellsOnQueue } from './queue.js';
import { renderSweepReport } from './report-page.js';
import { type CellOutcome, runCell } from './run-cell.js';

/** File names of a sweep's output folder. */
export const SWEEP_FILES = Object.freeze({
  leaderboard: 'leaderboard.parquet',
  report: 'sweep_report.html',
  manifest: 'sweep_manifest.json',
  cells: 'cells',
});

/** The families and grid of a sweep, as the caller (the CLI) resolves its `config` and `grids`. */
export interface SweepGrid {
  /** The families by reference (worker threads load the same ones). */
  readonly families: readonly FamilyReference[];
  /** The same families loaded in this thread. */
  readonly registry: FamilyRegistry;
  /** The grid of a universe, before the cost variants. */
  readonly gridFor: GridFor;
  /** Files the sweep reads besides the sleeve tables and the sweep file (the run config): never inside the output folder. */
  readonly files?: readonly string[];
}

/** What the sweep needs from its caller: the grid, and how a sleeve path is read. */
export interface SweepHost {
  grid(loaded: LoadedSweep): Promise<SweepGrid>;
  /** A library path (relative to the sweep file's folder, or e.g. `embedded:spy`) -> the file and how outputs name it. */
  resolveSleeve(path: string, field: string, dir: string): { file: string; label: string };
}

export interface SweepProgress {
  /** Cells finished (computed, taken from the cache, or failed), of `total`. */
  readonly done: number;
  readonly total: number;
  readonly cached: number;
  readonly failed: number;
  /** The cell that just ended, when one did. */
  readonly cell?: string;
  readonly error?: string;
  readonly elapsedMs: number;
  /** Time left at the pace of the cells computed so far; undefined before the first. */
  readonly etaMs?: number;
}

export interface SweepRunOptions {
  /** Output folder (default: the sweep's `outDir`, else `step4_sweep_out`). */
  readonly outDir?: string;
  /** Run the cells through BullMQ on this Redis, instead of on this machine. */
  readonly queue?: QueueSettings;
  /** Local cells at once, in worker threads (default: cores, at most 8). */
  readonly workers?: number;
  /** Also write each cell's full output folder under `cells/<hash>/` (local sweeps only). */
  readonly cellOutputs?: boolean;
  readonly onProgress?: (p: SweepProgress) => void;
  readonly signal?: AbortSignal;
}

export interface SweepResult {
  readonly outDir: string;
  readonly cells: readonly SweepCell[];
  readonly rows: readonly LeaderboardRow[];
  /** Cells taken from an earlier run (not computed again). */
  readonly cached: number;
  readonly computed: number;
  readonly failed: readonly { readonly cell: number; readonly hash: string; readonly error: string }[];
}

/** Where an unfinished sweep keeps its finished cells: a hidden sibling of the output folder. */
export function cellCacheDir(outDir: string): string {
  return join(dirname(outDir), `.${basename(outDir)}.step4-sweep-cells`);
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const part = `${file}.part-${process.pid}`;
  await writeFile(part, text);
  await rename(part, file);
}

async function readOutcome(file: string, hash: string): Promise<CellOutcome | undefined> {
  try {
    const o = JSON.parse(await readFile(file, 'utf8')) as CellOutcome;
    return o.hash === hash && 'rows' in o && Array.isArray(o.rows) ? o : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Run a sweep: every cell (one universe with one option set) as a whole
 * run-all, on this machine or through a queue, then `leaderboard.parquet`,
 * the sweep report and the cells' rows, written by the output-folder rule.
 * Finished cells are kept by content hash: running the same sweep again
 * computes only the cells that did not finish.
 */
export async function runSweep(
  loaded: LoadedSweep,
  host: SweepHost,
  options: SweepRunOptions = {},
): Promise<SweepResult> {
  const { sweep } = loaded;
  const start = Date.now();
  // The library: each table read and validated once, by content hash.
  const tables = new Map<string, { sha256: string; label: string }>();
  const files = new Map<string, string>();
  for (const [name, path] of Object.entries(sweep.sleeves)) {
    const { file, label } = host.resolveSleeve(path, `${loaded.file}: field sleeves.${name}`, loaded.dir);
    if (!existsSync(file))
      throw new InputError(`${loaded.file}: field sleeves.${name}: file not found (${file})`, {
        file: loaded.file,
        field: `sleeves.${name}`,
      });
    const table = await loadSleeveTable(file, name);
    tables.set(name, { sha256: table.sha256, label });
    files.set(table.sha256, file);
  }
  const outDir = resolve(
    options.outDir ?? (sweep.outDir ? resolve(loaded.dir, sweep.outDir) : 'step4_sweep_out'),
  );
  const grid = await host.grid(loaded);
  await checkOutDir(outDir, { protect: [loaded.file, ...files.values(), ...(grid.files ?? [])] });
  if (options.cellOutputs && options.queue)
    throw new InputError('option --cell-outputs: only for local sweeps (a queue sweep keeps the rows only)', {
      field: '--cell-outputs',
    });
  const cells = expandCells(sweep, tables, grid.registry, grid.gridFor, packageVersions());
  const cacheDir = cellCacheDir(outDir);
  // Finished cells: in the output folder of an earlier sweep, or in the cache of an interrupted one.
  const outcomes = new Map<string, CellOutcome>();
  const unique = new Map<string, CellSpec>();
  for (const c of cells) unique.set(c.spec.hash, c.spec);
  for (const hash of unique.keys()) {
    const o =
      (await readOutcome(join(outDir, SWEEP_FILES.cells, `${hash}.json`), hash)) ??
      (await readOutcome(join(cacheDir, `${hash}.json`), hash));
    if (o) outcomes.set(hash, o);
  }
  const cached = outcomes.size;
  const todo = [...unique.values()].filter((s) => !outcomes.has(s.hash));
  let failed = 0;
  let computed = 0;
  const report = (o?: CellOutcome) => {
    const elapsedMs = Date.now() - start;
    const rest = unique.size - outcomes.size;
    options.onProgress?.({
      done: outcomes.size,
      total: unique.size,
      cached,
      failed,
      ...(o ? { cell: o.hash.slice(0, 12) } : {}),
      ...(o && 'error' in o ? { error: o.error } : {}),
      elapsedMs,
      ...(computed > 0 ? { etaMs: (elapsedMs / computed) * rest } : {}),
    });
  };
  report();
  const finished = async (o: CellOutcome) => {
    // Through JSON, as the cache and the queue carry it: one value whichever way it came.
    const outcome = JSON.parse(JSON.stringify(o)) as CellOutcome;
    if ('rows' in outcome) await writeAtomic(join(cacheDir, `${outcome.hash}.json`), stableJson(outcome));
    else failed++;
    computed++;
    outcomes.set(outcome.hash, outcome);
    report(outcome);
  };
  if (todo.length > 0) {
    if (options.queue)
      await runCellsOnQueue(todo, files, options.queue, finished, { signal: options.signal });
    else await runLocally(todo, files, grid, options, cacheDir, finished);
  }
  const rows = leaderboardRows(cells, outcomes);
  const failures = cells.flatMap((c) => {
    const o = outcomes.get(c.spec.hash);
    return o && 'error' in o ? [{ cell: c.index, hash: c.spec.hash, error: o.error }] : [];
  });
  await writeOutputFolder(
    outDir,
    async ({ dir, step }) => {
      await writeFile(join(dir, SWEEP_FILES.leaderboard), leaderboardToParquet(rows));
      await step();
      await writeFile(
        join(dir, SWEEP_FILES.report),
        renderSweepReport({
          sweepFile: basename(loaded.file),
          rows,
          cells: cells.length,
          failedCells: failures.length,
        }),
      );
      await step();
      await writeFile(join(dir, SWEEP_FILES.manifest), stableJson(manifestOf(loaded, cells)));
      await step();
      await mkdir(join(dir, SWEEP_FILES.cells));
      for (const [hash, o] of outcomes) {
        if (!('rows' in o)) continue;
        await writeFile(join(dir, SWEEP_FILES.cells, `${hash}.json`), stableJson(o));
        if (options.cellOutputs && existsSync(join(cacheDir, hash)))
          await cp(join(cacheDir, hash), join(dir, SWEEP_FILES.cells, hash), { recursive: true });
        else if (options.cellOutputs && existsSync(join(outDir, SWEEP_FILES.cells, hash)))
          await cp(join(outDir, SWEEP_FILES.cells, hash), join(dir, SWEEP_FILES.cells, hash), {
            recursive: true,
          });
        await step();
      }
    },
    { signal: options.signal, command: 'sweep' },
  );
  await rm(cacheDir, { recursive: true, force: true });
  return { outDir, cells, rows, cached, computed, failed: failures };
}

/** The sweep's expansion: every cell with its universe, options and hash (no time stamp). */
function manifestOf(loaded: LoadedSweep, cells: readonly SweepCell[]): Record<string, unknown> {
  return {
    sweep_file: basename(loaded.file),
    packages: packageVersions(),
    sleeves: Object.fromEntries(
      [...new Map(cells.flatMap((c) => c.spec.sleeves.map((s) => [s.name, s] as const))).values()].map(
        (s) => [s.name, { source: s.label, sha256: s.sha256 }],
      ),
    ),
    cells: cells.map((c) => ({
      cell: c.index,
      hash: c.spec.hash,
      universe: c.spec.sleeves.map((s) => s.name),
      variant: c.variantIndex,
      options: JSON.parse(canonicalJson(c.spec.options)),
      candidates: c.spec.grid.length,
      families: c.spec.families,
    })),
  };
}

/** The cells on this machine: worker threads (this thread is one of them), results in any order. */
async function runLocally(
  todo: readonly CellSpec[],
  files: ReadonlyMap<string, string>,
  grid: SweepGrid,
  options: SweepRunOptions,
  cacheDir: string,
  finished: (o: CellOutcome) => Promise<void>,
): Promise<void> {
  const fileMap = Object.fromEntries(files);
  const tasks: LocalCellTask[] = todo.map((spec) => ({
    spec,
    files: fileMap,
    ...(options.cellOutputs ? { outDir: join(cacheDir, spec.hash) } : {}),
  }));
  const env = {
    families: grid.families,
    registry: grid.registry,
    tablePath: async (s: { sha256: string }) => fileMap[s.sha256],
  };
  // Results are written as they come; the pool's own order does not matter (rows are sorted by cell).
  let writes = Promise.resolve();
  await runInWorkers<LocalCellTask, CellOutcome>({
    workerUrl: new URL('./local-worker.js', import.meta.url),
    workerData: { families: grid.families } satisfies LocalWorkerSetup,
    tasks,
    jobs: options.workers ?? defaultJobs(),
    local: (task) => runCell(task.spec, env, task.outDir ? { outDir: task.outDir } : {}),
    onResult: (_i, o) => {
      writes = writes.then(() => finished(o));
    },
  });
  await writes;
}

/** A one-line summary of a sweep for the terminal. */
export function formatSweepSummary(r: SweepResult): string {
  const lines = [
    `sweep: ${r.cells.length} cells (${r.computed} computed, ${r.cached} from earlier runs), ${r.failed.length} failed`,
    `leaderboard: ${join(r.outDir, SWEEP_FILES.leaderboard)}`,
    `report: ${join(r.outDir, SWEEP_FILES.report)}`,
  ];
  for (const f of r.failed)
    lines.push(`failed cell ${f.cell} (${f.hash.slice(0, 12)}): ${firstLineOf(f.error).trim()}`);
  return `${lines.join('\n')}\n`;
}
