/**
 * Writes a `--profile` round's .cpuprofile to bench/results/ and prints its summary: the functions with
 * the most self time, the time by package, and this engine's functions with all they call. Called in
 * whichever process ran the round (a subject's own child process, or the bench process itself).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Table from 'cli-table3';
import { resultsDir } from './paths.js';
import { inclusiveTimes, summarizeProfile, type CpuProfile } from './profile.js';

/** No colours: the output goes to CI logs and files as often as to a terminal. */
const plain = { head: [], border: [] };

export const writeProfile = (name: string, profile: CpuProfile, log: (line: string) => void): void => {
  const file = join(resultsDir, `${name.replaceAll('/', '-')}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  const summary = summarizeProfile(profile, 15);
  log(`\nCPU profile of ${name} (${summary.total.toFixed(0)} ms busy) → ${file}`);
  const table = new Table({ head: ['self ms', 'share', 'function', 'where', 'group'], style: plain });
  for (const entry of summary.functions) table.push([entry.selfMs.toFixed(1), `${(entry.share * 100).toFixed(1)} %`, entry.functionName, entry.location, entry.group]);
  log(table.toString());
  log(`by group: ${summary.groups.slice(0, 10).map((g) => `${g.group} ${(g.share * 100).toFixed(1)} %`).join(' · ')}`);
  const inclusive = new Table({ head: ['incl. ms', 'share', 'function (this engine, with all it calls)', 'where'], style: plain });
  for (const entry of inclusiveTimes(profile, (group) => group.startsWith('@saga/') && group !== '@saga/bench', 15)) {
    inclusive.push([entry.selfMs.toFixed(1), `${(entry.share * 100).toFixed(1)} %`, entry.functionName, entry.location]);
  }
  log(inclusive.toString());
};
