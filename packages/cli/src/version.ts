import { createRequire } from 'node:module';

/** The package's version, read at run time: dist/ and src/ both sit one level under package.json. */
export const cliVersion = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
