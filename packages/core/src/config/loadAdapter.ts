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

export const loadAdapter = async <T>(packageName: string, why: string): Promise<T> => {
  try {
    return (await import(packageName)) as T;
  } catch (error) {
    if (!isModuleNotFound(error)) throw error;
  }
  try {
    const resolved = createRequire(join(process.cwd(), 'package.json')).resolve(packageName);
    return (await import(pathToFileURL(resolved).href)) as T;
  } catch (error) {
    if (!isModuleNotFound(error)) throw error;
    throw new AdapterNotAvailableError(`${why} needs the package ${packageName}, which is not installed here: run \`pnpm add ${packageName}\` (or npm install ${packageName}).`);
  }
};
