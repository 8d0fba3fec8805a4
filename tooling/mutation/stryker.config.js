// Stryker's config file for `pnpm mutation`: the target to run comes from SAGA_MUTATION_TARGET (set by
// tooling/mutation.mjs, which also sets the working directory to the target's package).
import { strykerConfig } from './strykerConfig.js';
import { targets } from './targets.js';

const name = process.env.SAGA_MUTATION_TARGET;
const target = targets.find((t) => t.name === name);
if (!target) throw new Error(`SAGA_MUTATION_TARGET must be one of ${targets.map((t) => t.name).join(', ')}; it is '${name ?? ''}'.`);

export default strykerConfig({ ...target, concurrency: Number(process.env.SAGA_MUTATION_CONCURRENCY ?? 2) });
