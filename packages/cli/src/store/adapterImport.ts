/**
 * How the CLI loads adapters. They are optional peer dependencies of @saga/cli: a PostgreSQL user
 * installs @saga/postgres and gets neither the gRPC client of EventStoreDB nor a native SQLite
 * build. An adapter is imported only when a URL needs it, first from where @saga/cli is installed
 * (an import written in this module resolves from the CLI's folder, so a package installed next
 * to it, globally too, is found), then by core from the current project.
 */
import { AdapterNotAvailableError, type ImportAdapter } from '@saga/core';
import { CliError } from '../cliError.js';

export interface AdapterImporter {
  readonly importAdapter: ImportAdapter;
  /** `error` with what to install when it says an adapter is missing; any other error as it is. */
  explain(error: unknown): unknown;
}

export const adapterImporter = (): AdapterImporter => {
  let wanted: string | undefined;
  return {
    importAdapter: (packageName) => {
      wanted = packageName;
      return import(packageName);
    },
    explain: (error) => {
      if (!(error instanceof AdapterNotAvailableError)) return error;
      // No import was tried: the URL itself is wrong (an unknown scheme), and core's message says so.
      if (wanted === undefined) return new CliError(error.message);
      return new CliError(
        `${error.message} @saga/cli does not bring its adapters: install ${wanted} in this project, or next to @saga/cli ` +
          `(npm install -g ${wanted} when saga is installed globally).`,
      );
    },
  };
};
