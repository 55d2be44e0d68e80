import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LoadResult, LoadSpec } from './load.js';

/** The bench's child processes: the load generator, and the memory of the processes under load. */

const DIST = resolve(import.meta.dirname);

/** Resident set size of a process in MB (Linux /proc; `ps` elsewhere). */
function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    try {
      return (
        Number(
          execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
            .toString()
            .trim(),
        ) / 1024
      );
    } catch {
      return 0;
    }
  }
}

/** Samples a process's RSS every 100 ms until stopped; returns the peak. */
export function rssSampler(pid: number): () => number {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 100);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssMb(pid));
  };
}

/** Runs a compiled bench script in a process of its own; resolves with the last line it printed. */
export function runBenchScript(script: string, args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(DIST, script), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.once('exit', (code) =>
      code === 0 ? done(out.trim().split('\n').at(-1) ?? '') : fail(new Error(`${script} failed: ${err}`)),
    );
  });
}

/** Drives one scenario with the load generator; a wrong answer or an error fails the run. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const result = JSON.parse(await runBenchScript('load.js', [JSON.stringify(spec)])) as LoadResult;
  if (result.mismatches > 0 || result.errors > 0) {
    throw new Error(
      `${spec.path}: ${result.mismatches} unexpected answers, ${result.errors} errors; first: ${result.firstMismatch}`,
    );
  }
  return result;
}
