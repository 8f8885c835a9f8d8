import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Semaphore } from './semaphore.js';
import { type ParquetColumns, type WrittenTable, readParquetTable } from './tables.js';
import type { TearSheetFiles } from './tearsheet/data.js';

/** A file's content; a promise for one still being made (a chart being rendered). */
export type Content = string | Uint8Array | Promise<Uint8Array>;

interface Entry {
  readonly content: Content;
  /** A table's columns as a reader of its bytes gets them. */
  readonly table?: WrittenTable;
}

/** Writes at a time: enough to keep the disk busy while the main thread makes the next file. */
const WRITE_CONCURRENCY = 6;

/**
 * The files of an output folder being filled: each is written as soon as it
 * is made, up to `limit` writes at a time (a file still being made, a chart,
 * waits without holding a place), then the folder's `step` is taken (one
 * checkpoint per file). Every file is also kept in memory, so the tear
 * sheets read what was written without reading the disk (`TearSheetFiles`).
 * The first failed write or step stops the next `put`; `settle` waits for
 * every write under way, so that nothing is written after the caller gives up.
 */
export class FolderWriter implements TearSheetFiles {
  readonly #files = new Map<string, Entry>();
  readonly #dirs = new Map<string, Promise<unknown>>();
  readonly #running = new Set<Promise<void>>();
  readonly #writes: Semaphore;
  #failure: { readonly error: unknown } | undefined;

  constructor(
    private readonly step: () => Promise<void>,
    limit = WRITE_CONCURRENCY,
  ) {
    this.#writes = new Semaphore(limit);
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }

  #mkdir(dir: string): Promise<unknown> {
    let made = this.#dirs.get(dir);
    if (!made) {
      made = mkdir(dir, { recursive: true });
      this.#dirs.set(dir, made);
    }
    return made;
  }

  /** Write `file` holding a place (taken by the caller for content that is ready), then take a step. */
  async #write(file: string, content: Content, placed: boolean): Promise<void> {
    let bytes: string | Uint8Array;
    if (placed) bytes = content as string | Uint8Array;
    else {
      bytes = await content;
      await this.#writes.acquire();
    }
    try {
      await this.#mkdir(dirname(file));
      await writeFile(file, bytes);
    } finally {
      this.#writes.release();
    }
    await this.step();
  }

  /** Write `file` (waits while `limit` writes are under way); throws the error of a write that failed. */
  async put(file: string, content: Content, table?: WrittenTable): Promise<void> {
    this.#throwIfFailed();
    const ready = !(content instanceof Promise);
    // A rendering that fails is reported by its write; until then it must not count as unhandled.
    if (!ready) content.catch(() => {});
    this.#files.set(file, { content, table });
    if (ready) {
      await this.#writes.acquire();
      if (this.#failure) {
        this.#writes.release();
        throw this.#failure.error;
      }
    }
    const task: Promise<void> = this.#write(file, content, ready)
      .catch((error) => {
        this.#failure ??= { error };
      })
      .finally(() => this.#running.delete(task));
    this.#running.add(task);
  }

  /** Put every file written under folder `from` again under folder `to` (same relative paths, same order). */
  async copy(from: string, to: string): Promise<void> {
    const prefix = from + sep;
    for (const [file, entry] of [...this.#files])
      if (file.startsWith(prefix)) await this.put(join(to, relative(from, file)), entry.content, entry.table);
  }

  /** Wait for every write under way; throws the first error. */
  async finish(): Promise<void> {
    await this.settle();
    this.#throwIfFailed();
  }

  /** Wait for every write under way, failed or not. */
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
