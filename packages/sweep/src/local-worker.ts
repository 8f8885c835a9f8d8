import { isMainThread } from 'node:worker_threads';
import { serveWorkerTasks } from '@step4/core';
import { type FamilyReference, loadFamilies } from '@step4/engine';
import type { CellSpec } from './cells.js';
import { runCell } from './run-cell.js';

/** What a local worker thread gets once: the families of the sweep, by reference. */
export interface LocalWorkerSetup {
  readonly families: readonly FamilyReference[];
}

/** One cell for a local worker thread: its spec, each table's file by hash, and where to write its outputs. */
export interface LocalCellTask {
  readonly spec: CellSpec;
  readonly files: Readonly<Record<string, string>>;
  readonly outDir?: string;
}

if (!isMainThread) {
  serveWorkerTasks(
    async (data) => {
      const setup = data as LocalWorkerSetup;
      return { families: setup.families, registry: await loadFamilies(setup.families) };
    },
    (env, task: LocalCellTask) =>
      runCell(
        task.spec,
        { ...env, tablePath: async (s) => task.files[s.sha256] },
        task.outDir ? { outDir: task.outDir } : {},
      ),
  );
}
