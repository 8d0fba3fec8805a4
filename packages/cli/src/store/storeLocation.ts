/** Which store a command reads: `--store`, else `SAGA_STORE_URL`, else the embedded default. */
import { defaultStoreUrl, redactUrl } from '@saga/core';

export interface StoreLocation {
  readonly url: string;
  readonly source: 'the --store option' | 'SAGA_STORE_URL' | 'the embedded default';
}

export const resolveStoreLocation = (option: string | undefined): StoreLocation => {
  if (option !== undefined && option !== '') return { url: option, source: 'the --store option' };
  const fromEnv = process.env.SAGA_STORE_URL;
  if (fromEnv !== undefined && fromEnv !== '') return { url: fromEnv, source: 'SAGA_STORE_URL' };
  return { url: defaultStoreUrl(), source: 'the embedded default' };
};

/** `sqlite:/srv/app/.saga/saga.db (from SAGA_STORE_URL)`, credentials hidden. */
export const describeStore = (location: StoreLocation): string => `${redactUrl(location.url)} (from ${location.source})`;
