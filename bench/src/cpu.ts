/**
 * CPU time: this process from `process.cpuUsage()` (user + system, all threads), and server processes
 * (PostgreSQL backends, the Restate server) from `/proc/<pid>/stat` (utime + stime, in clock ticks).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** CPU milliseconds this process has used so far. */
export const processCpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1_000;
};

let clockTicks: number | undefined;
const ticksPerSecond = (): number => {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
};

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly ppid: number;
  /** utime + stime of the process itself. */
  readonly ownTicks: number;
  /** cutime + cstime: what its children that already exited used. */
  readonly childTicks: number;
}

/** Parses one `/proc/<pid>/stat` line (the command may contain spaces and parentheses). */
export const parseProcStat = (line: string): ProcStat | undefined => {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(line.slice(0, open).trim());
  const comm = line.slice(open + 1, close);
  // Fields after the command, 1-based as in proc(5): 3 state, 4 ppid, … 14 utime, 15 stime, 16 cutime, 17 cstime.
  const rest = line.slice(close + 2).split(' ');
  const field = (n: number): number => Number(rest[n - 3]);
  return { pid, comm, ppid: field(4), ownTicks: field(14) + field(15), childTicks: field(16) + field(17) };
};

const readStat = (pid: number): ProcStat | undefined => {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
};

/** Local ports of this process's TCP connections to `remotePort` (from /proc/self/fd and /proc/net/tcp*). */
export const ownConnectionPorts = (remotePort: number): Set<number> => {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
        if (match) inodes.add(match[1] as string);
      } catch {
        // Closed meanwhile.
      }
    }
  } catch {
    return new Set();
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, remote, inode] = [fields[1], fields[2], fields[9]];
      if (!local || !remote || !inode || !inodes.has(inode)) continue;
      if (parseInt(remote.split(':')[1] ?? '', 16) === remotePort) ports.add(parseInt(local.split(':')[1] ?? '', 16));
    }
  }
  return ports;
};

/** CPU ms so far of each process, by pid. */
export type CpuSnapshot = ReadonlyMap<number, number>;

/** Σ over the processes alive at the end of (end − start); a process born meanwhile counts from 0. */
export const cpuDelta = (start: CpuSnapshot, end: CpuSnapshot): number => {
  let total = 0;
  for (const [pid, ms] of end) total += ms - (start.get(pid) ?? 0);
  return total;
};

const ticksToMs = (ticks: number): number => (ticks * 1_000) / ticksPerSecond();

/**
 * The PostgreSQL backends serving this process's connections: processes named `postgres` whose
 * title names a client port this process holds a connection from. Other clients of the same server
 * (another test suite, another benchmark) are not counted, nor are the server's shared background
 * processes (WAL writer, checkpointer, background writer). Undefined off Linux.
 */
export const postgresBackendsCpu = (serverPort: number): CpuSnapshot | undefined => {
  const ports = ownConnectionPorts(serverPort);
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const snapshot = new Map<number, number>();
  for (const pid of pids) {
    const stat = readStat(Number(pid));
    if (stat?.comm !== 'postgres') continue;
    let title: string;
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const port = /[\d.:a-f\]]\((\d+)\)/i.exec(title)?.[1];
    if (port !== undefined && ports.has(Number(port))) snapshot.set(stat.pid, ticksToMs(stat.ownTicks));
  }
  return snapshot;
};

/** Something whose CPU the report adds to a case's: a server process, or a group of them. */
export interface ServerCpu {
  readonly of: string;
  readonly snapshot: () => CpuSnapshot | undefined;
}

export const postgresServerCpu = (url: string): ServerCpu => {
  const port = Number(new URL(url).port || 5432);
  return { of: 'PostgreSQL backends of this process’s connections', snapshot: () => postgresBackendsCpu(port) };
};

export const processCpu = (of: string, pid: number): ServerCpu => ({
  of,
  snapshot: () => {
    const stat = readStat(pid);
    return stat === undefined ? undefined : new Map([[pid, ticksToMs(stat.ownTicks + stat.childTicks)]]);
  },
});
