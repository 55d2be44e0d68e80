/**
 * How much faster than its input `run` grows: its time on an input `factor` times larger over its time on
 * the small one, each the fastest of several runs, so a busy machine slows both sides alike.
 *
 * With a `reference` (a built-in known to be linear on the same input, e.g. `text.split('&')`), the answer
 * is how much `run`'s time grew relative to the reference's: about 1 for a linear `run`, about `factor` for
 * a quadratic one. This cancels the garbage collector, whose cost per allocation rises with the live heap
 * and makes even linear code that allocates per item look superlinear. Without a reference the answer is the
 * plain ratio: about `factor` when linear, `factor²` when quadratic; use it for code that does not allocate.
 */
export function growthRatio<T>(
  make: (n: number) => T,
  run: (input: T) => unknown,
  options: { n: number; factor: number; reference?: (input: T) => unknown; repeats?: number },
): number {
  const { n, factor, reference, repeats = 7 } = options;
  const small = make(n);
  const large = make(n * factor);
  // Warm up the compiler on the small input.
  run(small);
  reference?.(small);
  const best = { run: [Infinity, Infinity], reference: [Infinity, Infinity] };
  const time = (f: (input: T) => unknown, input: T) => {
    const started = performance.now();
    f(input);
    // A floor keeps a too-fast run from turning timer granularity into a huge ratio.
    return Math.max(performance.now() - started, 0.05);
  };
  // Interleaved, so that both functions meet the same conditions.
  for (let i = 0; i < repeats; i++) {
    [small, large].forEach((input, size) => {
      best.run[size] = Math.min(best.run[size] as number, time(run, input));
      if (reference) best.reference[size] = Math.min(best.reference[size] as number, time(reference, input));
    });
  }
  const growth = (best.run[1] as number) / (best.run[0] as number);
  return reference ? growth / ((best.reference[1] as number) / (best.reference[0] as number)) : growth;
}

/** A linear built-in reference for form texts: split into pairs, and each pair at its `=`. */
export const splitForm = (text: string) => text.split('&').map((pair) => pair.split('='));

/** `p0=&p1=&…`: `count` empty form parameters, as a hostile client sends them. */
export const emptyParameters = (count: number, prefix = 'p') =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}=`).join('&');
