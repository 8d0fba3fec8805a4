/**
 * Loads an adapter package by name at run time. Core cannot depend on its adapters (they depend on
 * it), so the package is looked up first from here and then from the application's own folder
 * (`process.cwd()`), where the user installed it.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AdapterNotAvailableError } from '../errors/runErrors.js';

const isModuleNotFound = (error: unknown): boolean =>
  error instanceof Error && ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND'].includes((error as NodeJS.ErrnoException).code ?? '');

/**
 * Imports a package by name. A caller that ships adapters as its own dependencies (a CLI, a
 * bundle) passes `(name) => import(name)` written in its own module, so the name resolves from
 * there.
 */
export type ImportAdapter = (packageName: string) => Promise<unknown>;

export const loadAdapter = async <T>(packageName: string, why: string, importAdapter?: ImportAdapter): Promise<T> => {
  for (const load of importAdapter ? [importAdapter, (name: string) => import(name)] : [(name: string) => import(name)]) {
    try {
      return (await load(packageName)) as T;
    } catch (error) {
      if (!isModuleNotFound(error)) throw error;
    }
  }
  // Then from the application: its working directory, and the folder of the script it runs.
  const bases = [join(process.cwd(), 'package.json'), ...(process.argv[1] ? [process.argv[1]] : [])];
  for (const base of bases) {
    let resolved: string;
    try {
      resolved = createRequire(base).resolve(packageName);
    } catch (error) {
      if (isModuleNotFound(error)) continue;
      throw error;
    }
    return (await import(pathToFileURL(resolved).href)) as T;
  }
  throw new AdapterNotAvailableError(`${why} needs the package ${packageName}, which is not installed here: run \`pnpm add ${packageName}\` (or npm install ${packageName}).`);
};
