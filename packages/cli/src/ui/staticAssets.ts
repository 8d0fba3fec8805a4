/**
 * The console's files: the stylesheet (built from the report's and the diagram's styles) and the
 * browser modules compiled by tsc next to this file (`client/*.js`): plain ES modules, no bundler.
 * Only names from the client folder are served, read once and kept.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { uiStyles } from './uiStyles.js';

const clientDir = fileURLToPath(new URL('./client/', import.meta.url));

export interface Asset {
  readonly contentType: string;
  readonly body: string;
}

const loadClientModules = (): Map<string, Asset> => {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(clientDir)) {
    if (!/^\w+\.js$/.test(name)) continue;
    // The source map is not served: drop the comment that would make devtools ask for it.
    const body = readFileSync(`${clientDir}${name}`, 'utf8').replace(/\n\/\/# sourceMappingURL=.*$/m, '\n');
    assets.set(`/assets/client/${name}`, { contentType: 'text/javascript; charset=utf-8', body });
  }
  return assets;
};

let assets: Map<string, Asset> | undefined;

/** The asset at `path`, or undefined for any other path. */
export const assetAt = (path: string): Asset | undefined => {
  assets ??= new Map([['/assets/ui.css', { contentType: 'text/css; charset=utf-8', body: uiStyles }], ...loadClientModules()]);
  return assets.get(path);
};
