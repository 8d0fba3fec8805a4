// After the suites: fails when a process of the project still runs, and prints it. A test that starts
// a process must end it (and its children) in teardown, also when the test fails; one that survives
// keeps connections, leases and timers alive and skews every later run on the machine.
//
//   node tooling/leftoverProcesses.mjs [--root <dir>] [--grace <seconds>]
//
// A process of the project: its command line names the checkout (`<root>/…`: tsx, vitest workers,
// esbuild), or it is a node process whose working directory is in the checkout. This process and its
// ancestors (the CI shell that runs the suites) are not counted. A process that is still exiting
// gets `--grace` seconds (default 10) to go. Linux only: it reads /proc.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const option = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
};
const root = resolve(option('--root', new URL('..', import.meta.url).pathname));
const graceMs = Number(option('--grace', '10')) * 1000;

const read = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // The process ended meanwhile, or is not ours to read.
  }
};

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
const statOf = (pid) => {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], ppid: Number(fields[1]) };
};

const ancestorsOf = (pid) => {
  const chain = new Set([pid]);
  for (let at = statOf(pid)?.ppid; at !== undefined && at > 0 && !chain.has(at); at = statOf(at)?.ppid) chain.add(at);
  return chain;
};

const inRoot = (path) => path === root || path.startsWith(`${root}${sep}`);

const projectProcesses = () => {
  const mine = ancestorsOf(process.pid);
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (mine.has(pid)) continue;
    const stat = statOf(pid);
    // A zombie has ended; only its parent's wait is missing, and it holds nothing.
    if (stat === undefined || stat.state === 'Z') continue;
    const argv = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
    if (argv.length === 0) continue; // A kernel thread.
    let cwd = '';
    let exe = '';
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
      exe = readlinkSync(`/proc/${pid}/exe`);
    } catch {
      // Gone, or another user's: its command line still tells.
    }
    const namesRoot = argv.some((arg) => arg.split('=').some((part) => inRoot(part)));
    const nodeInRoot = basename(exe) === 'node' && inRoot(cwd);
    if (namesRoot || nodeInRoot) found.push({ pid, ppid: stat.ppid, cwd, command: argv.join(' ') });
  }
  return found;
};

const deadline = Date.now() + graceMs;
let left = projectProcesses();
while (left.length > 0 && Date.now() < deadline) {
  await sleep(500);
  left = projectProcesses();
}
if (left.length === 0) {
  console.log(`No process of the project (${root}) is left running.`);
  process.exit(0);
}
console.error(`${left.length} process(es) of the project (${root}) still run after the suites (a test did not end what it started):`);
for (const p of left) console.error(`  pid ${p.pid} (parent ${p.ppid}) in ${p.cwd || '?'}: ${p.command.slice(0, 300)}`);
process.exit(1);
