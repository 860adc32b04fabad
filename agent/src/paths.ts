/**
 * Paths inside the repository, resolved from this file so a fresh clone
 * anywhere works. $GDL_REPO overrides; the bundle (agent/bundle.mjs) has the
 * checkout it was built from compiled in as GDL_BUNDLE_REPO.
 */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export const REPO_ROOT =
  process.env.GDL_REPO ?? process.env.GDL_BUNDLE_REPO ?? resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** libgdlcore.so: $GDL_LIBGDLCORE, else user/libgdlcore.so under $GDL_BUILD or the checkout's build/. */
export function libgdlcorePath(): string {
  return process.env.GDL_LIBGDLCORE ?? resolve(process.env.GDL_BUILD ?? resolve(REPO_ROOT, 'build'), 'user/libgdlcore.so');
}
