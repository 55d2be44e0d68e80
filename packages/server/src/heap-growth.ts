import { setFlagsFromString } from 'node:v8';

/**
 * How far the server's heap may grow past what a full collection left live before V8 collects again
 * (KEYWARD_HEAP_GROWTH_PERCENT). V8's own factor rises with the allocation rate, and a busy server allocates
 * fast: in the benchmarks it let a heap with ~250 MB live grow to ~800 MB before collecting, so RSS was three
 * times what the process held (docs/benchmarks.md). A fixed 50% keeps RSS near what is live, for a little more
 * collector work. V8 options are refused in NODE_OPTIONS, so the server sets it as it starts; the heap is still
 * small then, and V8 reads the factor each time it sizes the heap's next limit. A `--heap-growing-percent` given
 * to node itself wins, as does 0, which leaves the factor to V8.
 */
export function applyHeapGrowth(percent: number, execArgv: readonly string[] = process.execArgv): boolean {
  if (percent === 0 || execArgv.some((option) => option.startsWith('--heap-growing-percent'))) return false;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return true;
}
