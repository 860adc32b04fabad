/** Paths inside the repository, resolved from this file so a fresh clone anywhere works. */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** libgdlcore.so: $GDL_LIBGDLCORE, else build/user/libgdlcore.so of this checkout. */
export function libgdlcorePath(): string {
  return process.env.GDL_LIBGDLCORE ?? resolve(REPO_ROOT, 'build/user/libgdlcore.so');
}
