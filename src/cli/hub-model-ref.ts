import os from 'node:os';
import path from 'node:path';
import { isHubModelId } from '../core/finetune/hub-base.ts';

/** A model repository on the Hugging Face Hub (or a server with the same URL scheme). */
export interface HubModelRef {
  /** `owner/name`. */
  id: string;
  /** Branch, tag or commit; `main` unless `--revision` says otherwise. */
  revision: string;
}

export const DEFAULT_HUB_URL = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

/**
 * Whether `spec` names a hub repository as `owner/name` with the characters the Hub allows. Like
 * `huggingface_hub`'s validate_repo_id, `--` and `..` are refused; here they would also let an
 * id climb out of the cache folder.
 */
export function isHubId(spec: string): boolean {
  return isHubModelId(spec) && !spec.endsWith('.git');
}

/**
 * Whether `revision` is safe to use as a cache sub-folder: a branch, tag or commit, possibly with
 * slashes (`refs/pr/1`), but no empty, `.` or `..` segments.
 */
export function isValidRevision(revision: string): boolean {
  return revision
    .split('/')
    .every((segment) => /^[A-Za-z0-9_.-]+$/.test(segment) && segment !== '.' && segment !== '..');
}

/** The hub's base URL: `LUMINA_HUB_URL`, else huggingface.co; no trailing slash. */
export function defaultHubUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.LUMINA_HUB_URL || DEFAULT_HUB_URL).replace(/\/+$/, '');
}

/**
 * Lumina's cache root: `LUMINA_CACHE_DIR`, else `lumina` in the platform's user cache folder.
 * Hand-written (env-paths does the same) to keep a dependency out for three platform cases.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LUMINA_CACHE_DIR) return path.resolve(env.LUMINA_CACHE_DIR);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'lumina');
  if (process.platform === 'win32') {
    return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'lumina', 'Cache');
  }
  return path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'lumina');
}

/** `<cache>/hub/<owner>/<name>/<revision>/`: the repository's files in their hub layout. */
export function hubModelDir(cacheDir: string, ref: HubModelRef): string {
  return path.join(cacheDir, 'hub', ...ref.id.split('/'), ...ref.revision.split('/'));
}

/** The URL transformers.js also uses for a file of a hub repository. */
export function hubFileUrl(hubUrl: string, ref: HubModelRef, file: string): string {
  return `${hubUrl}/${ref.id}/resolve/${encodeURIComponent(ref.revision)}/${file}`;
}

/** A URL fit for messages: user name and password (if any were put in it) are left out. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}
