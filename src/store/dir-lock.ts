/**
 * An exclusive lock on PGlite's data directory. PGlite itself takes none: a
 * second hotline started in the same folder (or a second open in the same
 * process) would run another PostgreSQL over the same files and corrupt them.
 *
 * The lock is a file beside the directory holding the owner's pid, created
 * with O_EXCL. A lock whose process is gone (kill -9, power loss) is stale and
 * taken over; so is one carrying our own pid that this process did not take
 * (a container restarts its main process with the same pid, often 1).
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { StoreError } from './errors.ts';

/** Lock files this process holds. */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryCreate(file: string): boolean {
  try {
    writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new StoreError('STORE_UNAVAILABLE', `cannot create the lock file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Takes the lock or throws STORE_UNAVAILABLE naming the process that holds it. Returns the release function. */
export function lockDataDir(dir: string): () => void {
  const file = `${dir}.lock`;
  const release = (): void => {
    held.delete(file);
    try {
      unlinkSync(file);
    } catch {
      // Already gone: nothing to release.
    }
  };
  if (held.has(file)) {
    throw new StoreError('STORE_UNAVAILABLE', `the embedded database in ${dir} is already open in this process`);
  }
  if (tryCreate(file)) {
    held.add(file);
    return release;
  }
  const owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
    throw new StoreError('STORE_UNAVAILABLE', `the embedded database in ${dir} is in use by process ${owner} (lock file ${file}); stop it first, or set DATABASE_URL to share a PostgreSQL server`);
  }
  // Stale: its owner is gone. Replace it, then make sure nobody else raced us to it.
  unlinkSync(file);
  if (!tryCreate(file)) {
    throw new StoreError('STORE_UNAVAILABLE', `the embedded database in ${dir} was just locked by another process (lock file ${file})`);
  }
  held.add(file);
  return release;
}
