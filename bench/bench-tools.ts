/** What every benchmark script shares: its command-line options, its output, and a seeded generator. */

const argv = process.argv.slice(2);

/** The value after `--name` on the command line, if given. */
export const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

/** Whether `--name` is on the command line. */
export const flag = (name: string): boolean => argv.includes(name);

export const log = (text: string) => process.stdout.write(`${text}\n`);

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** A seeded generator (mulberry32), so every run works on the same data. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
