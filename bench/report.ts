import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { RoundTripCount } from './round-trips.js';
import type { Scenario } from './scenarios.js';
import type { Target } from './targets.js';

/** The results as the Markdown block of docs/benchmarks.md between the bench:results markers. */

export interface RunInfo {
  date: string;
  quick: boolean;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  os: string;
  node: string;
  loadAverageAtStart: number[];
  /** Other work on the machine during the run shows here (the run itself keeps about two cores busy). */
  loadAverageAtEnd?: number[];
}

export interface Results {
  machine: RunInfo;
  scenarios: Scenario[];
  roundTrips: RoundTripCount[];
  targets: Target[];
  notes: string[];
}

const cell = (value: number | string | null) => (value === null ? '–' : String(value));

export function markdownTable(results: Results): string {
  const info = results.machine;
  const lines = [
    `Run of ${info.date} (${info.quick ? 'quick' : 'full'}: ${info.durationSeconds} s per scenario after ` +
      `${info.warmupSeconds} s warm-up, ${info.connections} connections) on ${info.cpus}× ${info.cpuModel}, ` +
      `${info.memoryGb} GB, ${info.os}, Node ${info.node}; load average at start ${info.loadAverageAtStart.join(' ')}` +
      `${info.loadAverageAtEnd ? `, at the end ${info.loadAverageAtEnd.join(' ')}` : ''}.`,
    '',
    '| scenario | database | req/s | p50 ms | p99 ms | peak RSS MB | server CPU µs/req | database CPU µs/req | baseline | ratio |',
    '|---|---|--:|--:|--:|--:|--:|--:|---|--:|',
    ...results.scenarios.map(
      (s) =>
        `| ${s.name} | ${cell(s.database)} | ${s.rps} | ${cell(s.p50Ms)} | ${cell(s.p99Ms)} | ${cell(s.rssMb)} | ${cell(s.cpuUsPerRequest)} | ${cell(s.databaseCpuUsPerRequest ?? null)} | ${cell(s.baseline)} | ${cell(s.ratio)} |`,
    ),
  ];
  if (results.roundTrips.length > 0) {
    lines.push(
      '',
      '| round trips to PostgreSQL, one request at a time | requests | per request | before the answer | idle, per second | statements per request (pg_stat_statements) |',
      '|---|--:|--:|--:|--:|--:|',
      ...results.roundTrips.map(
        (r) =>
          `| ${r.name.replace(/^round trips: /, '')} | ${r.requests} | ${r.perRequest} | ${r.beforeAnswer} | ${r.idlePerSecond} | ${cell(r.statementsPerRequest)} |`,
      ),
    );
  }
  const met = (pass: boolean | null) => (pass === null ? 'not measured' : pass ? 'yes' : '**no**');
  lines.push(
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...results.targets.map((t) => `| ${t.target} | ${t.value} | ${met(t.pass)} |`),
    ...(results.notes.length ? ['', ...results.notes.map((n) => `Note: ${n}.`)] : []),
  );
  return lines.join('\n');
}

/** Replaces the block between the markers in `doc` (or appends one). */
export function writeDoc(doc: string, table: string): void {
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  const current = existsSync(doc) ? readFileSync(doc, 'utf8') : `# Benchmarks\n\n${start}\n${end}\n`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from
      ? `${current.slice(0, from + start.length)}\n${table}\n${current.slice(to)}`
      : `${current.trimEnd()}\n\n${start}\n${table}\n${end}\n`;
  writeFileSync(doc, next);
}
