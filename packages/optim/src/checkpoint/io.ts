import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';

/**
 * Every file-system call checkpoints make, in one mutable object: the seam through which the
 * reliability tests inject faults (ENOSPC, EACCES, EROFS) and watch the positions written. Not
 * part of the public API. `chunkBytes` is how much one read or write moves at most: large enough
 * to run at disk speed, small enough that memory stays near the model's own size.
 */
export const io = {
  chunkBytes: 64 * 2 ** 20,
  open: (path: string, flags: number, mode?: number) =>
    call<number>((cb) => fs.open(path, flags, mode, cb)),
  close: (fd: number) => call<void>((cb) => fs.close(fd, cb)),
  /** Reads up to `bytes.length` bytes at file position `at`; returns how many came. */
  read: (fd: number, bytes: Uint8Array, at: number) =>
    call<number>((cb) => fs.read(fd, bytes, 0, bytes.length, at, cb)),
  /** Writes up to `bytes.length` bytes at file position `at`; returns how many went. */
  write: (fd: number, bytes: Uint8Array, at: number) =>
    call<number>((cb) => fs.write(fd, bytes, 0, bytes.length, at, cb)),
  fsync: (fd: number) => call<void>((cb) => fs.fsync(fd, cb)),
  fstat: (fd: number) => call<fs.Stats>((cb) => fs.fstat(fd, cb)),
  fchmod: (fd: number, mode: number) => call<void>((cb) => fs.fchmod(fd, mode, cb)),
  stat: (path: string) => fsp.stat(path),
  lstat: (path: string) => fsp.lstat(path),
  readlink: (path: string) => fsp.readlink(path),
  readdir: (path: string) => fsp.readdir(path),
  rename: (from: string, to: string) => fsp.rename(from, to),
  unlink: (path: string) => fsp.unlink(path),
};

function call<T>(start: (cb: (e: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    start((e, value) => (e ? reject(e) : resolve(value as T))),
  );
}
