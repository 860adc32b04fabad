/**
 * Paths inside the repository, resolved from this file (or $GDL_REPO) so a
 * fresh clone anywhere works. The bundle (build/agent/gdl.mjs) sits two
 * levels below the root too, so the same rule finds the root from there.
 */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export const REPO_ROOT = process.env.GDL_REPO ?? resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** libgdlcore.so: $GDL_LIBGDLCORE, else user/libgdlcore.so under $GDL_BUILD or the checkout's build/. */
export function libgdlcorePath(): string {
  return process.env.GDL_LIBGDLCORE ?? resolve(process.env.GDL_BUILD ?? resolve(REPO_ROOT, 'build'), 'user/libgdlcore.so');
}
