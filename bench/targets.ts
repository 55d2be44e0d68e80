import { round } from './bench-tools.js';
import { NAMES, type Scenario } from './scenarios.js';

/**
 * The targets of the issue, on each database, against what this run measured. A target whose scenario did
 * not run is listed as not measured (`pass: null`), never as met.
 */

export interface Target {
  target: string;
  value: string;
  pass: boolean | null;
}

interface PerDatabase {
  validateUnsigned: number;
  validateSigned: number;
  getKey: number;
  getDetails: number;
  activationsPerSecond: number;
}

const GOALS: Record<'sqlite' | 'postgres', PerDatabase> = {
  sqlite: {
    validateUnsigned: 0.5,
    validateSigned: 0.6,
    getKey: 0.85,
    getDetails: 0.35,
    activationsPerSecond: 2500,
  },
  postgres: {
    validateUnsigned: 0.45,
    validateSigned: 0.55,
    getKey: 0.8,
    getDetails: 0.3,
    activationsPerSecond: 2000,
  },
};
const VALIDATE_P99_MS = 10;
const GET_KEY_P99_MS = 30;
/** Activations per second on PostgreSQL with every packet delayed 1 ms each way. */
const AWAY_ACTIVATIONS_PER_SECOND = 1000;
const AWAY_MS = 1;
const SCALE_P50_GROWTH = 0.2;
const SCALE_RSS_MB = 300;

const notMeasured = (target: string, why = 'not measured'): Target => ({ target, value: why, pass: null });
const thousands = (n: number) => n.toLocaleString('en-US');

function ratioTarget(target: string, scenario: Scenario | undefined, min: number, maxP99Ms?: number): Target {
  if (scenario?.ratio == null) return notMeasured(target);
  if (maxP99Ms === undefined) return { target, value: `${scenario.ratio}×`, pass: scenario.ratio >= min };
  return {
    target,
    value: `${scenario.ratio}×, p99 ${scenario.p99Ms} ms`,
    pass: scenario.ratio >= min && scenario.p99Ms !== null && scenario.p99Ms <= maxP99Ms,
  };
}

function rateTarget(target: string, scenario: Scenario | undefined, min: number): Target {
  if (!scenario) return notMeasured(target);
  return { target, value: `${scenario.rps}/s`, pass: scenario.rps >= min };
}

export function targets(
  scenarios: Scenario[],
  run: { smallKeys: number; largeKeys: number; pgLatencyMs: number },
): Target[] {
  const list: Target[] = [];
  for (const database of ['sqlite', 'postgres'] as const) {
    const find = (name: string) => scenarios.find((s) => s.name === name && s.database === database);
    const goal = GOALS[database];
    const ratio = (n: number) => n.toFixed(2);
    list.push(
      ratioTarget(
        `native validate, unsigned ÷ node:http ≥ ${ratio(goal.validateUnsigned)}, p99 ≤ ${VALIDATE_P99_MS} ms (${database})`,
        find(NAMES.validateUnsigned),
        goal.validateUnsigned,
        VALIDATE_P99_MS,
      ),
      ratioTarget(
        `native validate, signed ÷ node:http + Ed25519 ≥ ${ratio(goal.validateSigned)} (${database})`,
        find(NAMES.validateSigned),
        goal.validateSigned,
      ),
      ratioTarget(
        `Cryptolens GetKey ÷ node:http + RSA-2048 ≥ ${ratio(goal.getKey)}, p99 ≤ ${GET_KEY_P99_MS} ms (${database})`,
        find(NAMES.getKey),
        goal.getKey,
        GET_KEY_P99_MS,
      ),
      ratioTarget(
        `LimeLM getDetails ÷ node:http ≥ ${ratio(goal.getDetails)} (${database})`,
        find(NAMES.getDetails),
        goal.getDetails,
      ),
      rateTarget(
        `activation of new machines, durable, ≥ ${thousands(goal.activationsPerSecond)}/s (${database})`,
        find(NAMES.activate),
        goal.activationsPerSecond,
      ),
    );
    if (database === 'postgres') {
      const target = `activation of new machines, durable, ≥ ${thousands(AWAY_ACTIVATIONS_PER_SECOND)}/s with ${AWAY_MS} ms each way (postgres)`;
      list.push(
        run.pgLatencyMs === AWAY_MS
          ? rateTarget(target, find(NAMES.away(NAMES.activate, AWAY_MS)), AWAY_ACTIVATIONS_PER_SECOND)
          : notMeasured(target, `not measured (--pg-latency ${run.pgLatencyMs})`),
      );
    }
    list.push(...scaleTargets(find, database, run));
  }
  return list;
}

/** p50 and memory at the large key count, against the small one measured in the same server. */
function scaleTargets(
  find: (name: string) => Scenario | undefined,
  database: string,
  run: { smallKeys: number; largeKeys: number },
): Target[] {
  const large = find(NAMES.validateGrown(run.largeKeys));
  // The companion measured right before the growth, in the same server; the first validate otherwise.
  const small = find(NAMES.validateBeforeGrowth(run.smallKeys)) ?? find(NAMES.validateUnsigned);
  const p50Target = `validate p50 at ${thousands(run.largeKeys)} keys within ${SCALE_P50_GROWTH * 100}% of ${thousands(run.smallKeys)} keys (${database})`;
  const rssTarget = `RSS ≤ ${SCALE_RSS_MB} MB with ${thousands(run.largeKeys)} keys (${database})`;
  if (large?.p50Ms == null || small?.p50Ms == null) return [notMeasured(p50Target), notMeasured(rssTarget)];
  const growth = large.p50Ms / small.p50Ms - 1;
  return [
    {
      target: p50Target,
      value: `${small.p50Ms} → ${large.p50Ms} ms (${growth >= 0 ? '+' : ''}${round(growth * 100, 0)}%)`,
      pass: growth <= SCALE_P50_GROWTH,
    },
    { target: rssTarget, value: `${large.rssMb} MB`, pass: (large.rssMb ?? Infinity) <= SCALE_RSS_MB },
  ];
}
