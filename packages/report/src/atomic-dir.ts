import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Fill a fresh temporary folder beside `finalDir`, then swap it into place
 * (the write-file-atomic pattern for a folder). If `fill` fails, the temporary
 * folder is removed and an existing `finalDir` is left exactly as it was.
 */
export async function writeDirAtomically(
  finalDir: string,
  fill: (tmpDir: string) => Promise<void>,
): Promise<void> {
  const parent = dirname(finalDir);
  const base = basename(finalDir);
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = join(parent, `.${base}.tmp-${tag}`);
  const parentExisted = await exists(parent);
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    // Do not leave a parent folder behind that only this run created.
    if (!parentExisted) await rm(parent, { recursive: true, force: true });
    throw e;
  }
  if (await exists(finalDir)) {
    const backup = join(parent, `.${base}.old-${tag}`);
    await rename(finalDir, backup);
    try {
      await rename(tmp, finalDir);
    } catch (e) {
      await rename(backup, finalDir);
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    await rm(backup, { recursive: true, force: true });
  } else {
    await rename(tmp, finalDir);
  }
}

/** Write a file through a temporary sibling and a rename. */
export async function writeFileAtomically(file: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(dirname(file), { recursive: true });
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
