/** The repository root, from this file's place in it (CI runs from a fresh clone anywhere). */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const repoPath = (...parts: string[]): string => resolve(REPO, ...parts);
