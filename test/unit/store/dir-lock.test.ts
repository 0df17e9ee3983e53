import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../../src/store/dir-lock.ts';

describe('the PGlite data directory lock', () => {
  const dirs: string[] = [];
  const scratch = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'hotline-lock-'));
    dirs.push(d);
    return join(d, 'pglite');
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('is exclusive within the process and free again after release', () => {
    const dir = scratch();
    const release = lockDataDir(dir);
    expect(readFileSync(`${dir}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    expect(() => lockDataDir(dir)).toThrow(expect.objectContaining({ code: 'STORE_UNAVAILABLE' }));
    release();
    lockDataDir(dir)();
  });

  it('refuses a directory locked by another live process, naming it', () => {
    const dir = scratch();
    writeFileSync(`${dir}.lock`, `${process.ppid}\n`);
    expect(() => lockDataDir(dir)).toThrow(`in use by process ${process.ppid}`);
  });

  it('takes over a lock left by a process that is gone, or by an earlier life of our own pid', () => {
    const dir = scratch();
    writeFileSync(`${dir}.lock`, '4194305\n'); // above Linux's PID_MAX_LIMIT (2^22): never a live process
    lockDataDir(dir)();
    writeFileSync(`${dir}.lock`, `${process.pid}\n`);
    lockDataDir(dir)();
  });
});
