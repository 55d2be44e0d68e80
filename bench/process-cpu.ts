import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** The kernel's clock ticks per second, the unit of /proc/<pid>/stat's times (100 almost everywhere). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A process's command name and the CPU time it has used so far, from one reading of /proc/<pid>/stat. */
function readStat(pid: number | string): { command: string; cpuSeconds: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces. After it, state is the first field, utime the
    // twelfth and stime the thirteenth (fields 14 and 15 of proc(5)).
    const end = stat.lastIndexOf(')');
    const fields = stat.slice(end + 2).split(' ');
    return {
      command: stat.slice(stat.indexOf('(') + 1, end),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    };
  } catch {
    return null; // no /proc here, or the process ended
  }
}

/**
 * The CPU time a process has used so far, user and system, all its threads, in seconds (Linux /proc; null
 * elsewhere): per request, it says what a request costs the server, its background threads included.
 */
export function cpuSecondsOf(pid: number): number | null {
  return readStat(pid)?.cpuSeconds ?? null;
}

/**
 * The CPU time used so far by each process of one command name (`postgres`: the database server, its
 * background processes and each connection's backend), in seconds by process id; null where /proc is not
 * there or no such process runs here.
 */
export function cpuSecondsByProcess(command: string): Map<string, number> | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return null;
  }
  const times = new Map<string, number>();
  for (const pid of entries) {
    const stat = readStat(pid);
    if (stat?.command === command) times.set(pid, stat.cpuSeconds);
  }
  return times.size === 0 ? null : times;
}

/**
 * The CPU time the processes alive at both readings used between them. One that started or ended in between
 * (an autovacuum worker, another client's backend) is left out: its time cannot be split at the readings.
 */
export function cpuSecondsBetween(
  before: Map<string, number> | null,
  after: Map<string, number> | null,
): number | null {
  if (!before || !after) return null;
  let total = 0;
  for (const [pid, seconds] of after) {
    const from = before.get(pid);
    if (from !== undefined) total += seconds - from;
  }
  return total;
}
