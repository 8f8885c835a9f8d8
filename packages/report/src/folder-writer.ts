import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { type ParquetColumns, type WrittenTable, readParquetTable } from './tables.js';
import type { TearSheetFiles } from './tearsheet/data.js';

/** A file's content; a promise for one still being made (a chart being rendered). */
export type Content = string | Uint8Array | Promise<Uint8Array>;

interface Entry {
  readonly content: Content;
  /** A table's columns as a reader of its bytes gets them. */
  readonly table?: WrittenTable;
}

/**
 * The files of an output folder being filled: each is written as soon as it
 * is made (a file still being made, a chart, when it is ready), then the
 * folder's `step` is taken (one checkpoint per file). Every file is also kept
 * in memory, so the tear sheets read what was written without reading the
 * disk (`TearSheetFiles`). The first failed write or step stops the next
 * `put`; `settle` waits for the files still being made, so that nothing is
 * written after the caller gives up.
 *
 * The writes are synchronous: a run's files are small (a few hundred, 15 MB
 * in all) and land in the page cache, so each takes microseconds, while an
 * asynchronous write takes three trips through libuv's thread pool (open,
 * write, close), which the chart's image work also uses. Measured on an
 * embedded run-all: about 0.15 s less CPU time, the same files.
 */
export class FolderWriter implements TearSheetFiles {
  readonly #files = new Map<string, Entry>();
  readonly #dirs = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  #failure: { readonly error: unknown } | undefined;

  constructor(private readonly step: () => Promise<void>) {}

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }

  /** Write `file` now (its folder made first, once); a failure stops the next `put`. */
  #writeNow(file: string, bytes: string | Uint8Array): void {
    try {
      const dir = dirname(file);
      if (!this.#dirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        this.#dirs.add(dir);
      }
      writeFileSync(file, bytes);
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Take the step after a file; a failure stops the next `put`. */
  async #step(): Promise<void> {
    try {
      await this.step();
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Record the folder's first failure: it stops the next `put`. */
  #record(error: unknown): void {
    this.#failure ??= { error };
  }

  /** Record a failure and throw it on. */
  #fail(error: unknown): never {
    this.#record(error);
    throw error;
  }

  /**
   * Write `file`: at once when its content is ready (then take a step; throws
   * if either fails), else once it is made (its error is `finish`'s).
   */
  async put(file: string, content: Content, table?: WrittenTable): Promise<void> {
    this.#throwIfFailed();
    this.#files.set(file, { content, table });
    if (!(content instanceof Promise)) {
      this.#writeNow(file, content);
      await this.#step();
      return;
    }
    // A rendering that fails is reported by finish; until then it must not count as unhandled.
    const task: Promise<void> = content
      .then(async (bytes) => {
        // Nothing is written once the folder has failed (the caller is giving up).
        if (this.#failure) return;
        this.#writeNow(file, bytes);
        await this.#step();
      })
      .catch((error) => this.#record(error))
      .finally(() => this.#running.delete(task));
    this.#running.add(task);
  }

  /** Put every file written under folder `from` again under folder `to` (same relative paths, same order). */
  async copy(from: string, to: string): Promise<void> {
    const prefix = from + sep;
    for (const [file, entry] of [...this.#files])
      if (file.startsWith(prefix)) await this.put(join(to, relative(from, file)), entry.content, entry.table);
  }

  /** Wait for the files still being made and their writes; throws the first error. */
  async finish(): Promise<void> {
    await this.settle();
    this.#throwIfFailed();
  }

  /** Wait for the files still being made and their writes, failed or not. */
  async settle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  async text(file: string): Promise<string | undefined> {
    const entry = this.#files.get(file);
    if (!entry) return undefined;
    const c = await entry.content;
    return typeof c === 'string' ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('utf8');
  }

  async table(file: string): Promise<ParquetColumns | undefined> {
    const entry = this.#files.get(file);
    if (!entry) return undefined;
    if (entry.table) return entry.table.readBack();
    const c = await entry.content;
    return readParquetTable(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
  }
}
