/**
 * Loads saga definitions named on the command line as `<module>#<export>`: a path relative to the
 * working directory (the built `.js`), or a package name. The export is checked by shape, not by
 * class, because the module may carry its own copy of @saga/core.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SagaShape } from '@saga/core';
import { CliError, UsageError } from '../cliError.js';

/** What the CLI needs of a definition: what `Saga` offers, duck-typed. */
export interface DefinitionLike {
  readonly name: string;
  readonly version: string;
  readonly fingerprint: string;
  describe(): SagaShape;
}

export interface LoadedDefinition {
  /** `./dist/orderSaga.js#createOrder`, as given. */
  readonly spec: string;
  readonly exportName: string;
  readonly definition: DefinitionLike;
}

export const isDefinitionLike = (value: unknown): value is DefinitionLike =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { describe?: unknown }).describe === 'function' &&
  typeof (value as { fingerprint?: unknown }).fingerprint === 'string' &&
  typeof (value as { name?: unknown }).name === 'string';

const splitSpec = (spec: string): { module: string; exportName?: string } => {
  const hash = spec.lastIndexOf('#');
  if (hash <= 0) return { module: spec };
  const exportName = spec.slice(hash + 1);
  return exportName === '' ? { module: spec.slice(0, hash) } : { module: spec.slice(0, hash), exportName };
};

const example = './dist/orderSaga.js#createOrder';

const moduleUrl = (module: string, spec: string): string => {
  const asPath = isAbsolute(module) ? module : resolve(process.cwd(), module);
  if (module.startsWith('.') || isAbsolute(module) || existsSync(asPath)) {
    if (!existsSync(asPath)) {
      throw new CliError(
        `Cannot load the definition module '${module}' (from --definition ${spec}): ${asPath} does not exist. ` +
          `Give the path of the built module relative to the current directory (${process.cwd()}), e.g. ${example}.`,
      );
    }
    return pathToFileURL(asPath).href;
  }
  try {
    return pathToFileURL(createRequire(join(process.cwd(), 'package.json')).resolve(module)).href;
  } catch {
    throw new CliError(
      `Cannot load the definition module '${module}' (from --definition ${spec}): it is neither a file here nor an installed package. ` +
        `Start a path with ./ (e.g. ${example}), or install the package in ${process.cwd()}.`,
    );
  }
};

const importModule = async (module: string, spec: string): Promise<Record<string, unknown>> => {
  const url = moduleUrl(module, spec);
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const hint = /\.(?:c|m)?tsx?$/.test(module)
      ? ' Node cannot import TypeScript source here: build it and point at the .js file.'
      : ' Fix the module (or build it again), then retry.';
    throw new CliError(`Cannot load the definition module '${module}' (from --definition ${spec}): importing it failed: ${reason}.${hint}`);
  }
};

const sagaExports = (exports: Record<string, unknown>): [string, DefinitionLike][] =>
  Object.entries(exports).filter((entry): entry is [string, DefinitionLike] => isDefinitionLike(entry[1]));

/**
 * The definitions a spec names: the one export after `#`; without `#`, every saga the module
 * exports (`single`: exactly one of them, else the spec must say which).
 */
export const loadDefinitions = async (spec: string, options: { readonly single?: boolean } = {}): Promise<LoadedDefinition[]> => {
  const { module, exportName } = splitSpec(spec);
  if (module.trim() === '') throw new UsageError(`--definition '${spec}' names no module; use <module>#<export>, e.g. ${example}.`);
  const exports = await importModule(module, spec);
  const sagas = sagaExports(exports);
  if (exportName !== undefined) {
    if (!Object.hasOwn(exports, exportName)) {
      const known = Object.keys(exports);
      throw new CliError(
        `The module '${module}' has no export '${exportName}'. ` +
          (sagas.length > 0 ? `Its sagas: ${sagas.map(([name]) => name).join(', ')}.` : `Its exports: ${known.join(', ') || '(none)'}; none is a saga.`),
      );
    }
    const value = exports[exportName];
    if (!isDefinitionLike(value)) {
      throw new CliError(
        `The export '${exportName}' of '${module}' is not a saga definition (it has no describe() and fingerprint): ` +
          `export the committed Saga, e.g. export const ${exportName} = new Saga('name').localStep()…commit().`,
      );
    }
    return [{ spec, exportName, definition: value }];
  }
  if (sagas.length === 0) throw new CliError(`The module '${module}' exports no saga definition; export the committed Saga, or name it with ${module}#<export>.`);
  if (options.single && sagas.length > 1) {
    throw new UsageError(`The module '${module}' exports several sagas (${sagas.map(([name]) => name).join(', ')}); choose one with ${module}#<export>.`);
  }
  return sagas.map(([name, definition]) => ({ spec: `${module}#${name}`, exportName: name, definition }));
};
