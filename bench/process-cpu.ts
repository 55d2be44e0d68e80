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

/**
 * The CPU time a process has used so far, user and system, all its threads, in seconds (Linux /proc; null
 * elsewhere). Unlike requests per second, CPU per request barely moves when other work shares the machine:
 * it compares builds and scenarios run minutes apart.
 */
export function cpuSecondsOf(pid: number | string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may hold spaces: state is the first,
    // utime the twelfth and stime the thirteenth (fields 14 and 15 of proc(5)).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * The CPU time used so far by every process of one command name (`postgres`: the database server and each of
 * its connections' backends), in seconds; null where /proc is not there or no such process runs here. A backend that ended in between takes
 * its time with it, so this reads low when connections come and go (the server keeps its pool open).
 */
export function cpuSecondsOfCommand(command: string): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return null;
  }
  let total: number | null = null;
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== command) continue;
    } catch {
      continue; // it ended meanwhile
    }
    total = (total ?? 0) + (cpuSecondsOf(pid) ?? 0);
  }
  return total;
}
