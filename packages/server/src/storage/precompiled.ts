import type { Compilable, CompiledQuery, DialectAdapter, Kysely } from 'kysely';
import type { Database } from './schema/index.js';

const marker = (index: number) => `\u0000precompiled parameter ${index}\u0000`;

interface Template {
  compiled: CompiledQuery;
  /** For each bound parameter of the compiled query: the argument it takes, or -1 for a fixed value. */
  slots: number[];
}

/**
 * A query whose SQL is built once per dialect and afterwards only takes new parameter values. Kysely builds
 * and walks an operation tree for every query it runs; on the hot paths (validation, token lookup) that cost
 * more than the indexed lookup itself. `build` is called once with a marker in place of each argument; every
 * marker must come out as a bound parameter (never inlined into the SQL text), which is checked.
 */
export function precompiled<Args extends readonly unknown[], Row>(
  arity: Args['length'],
  build: (db: Kysely<Database>, ...args: Args) => Compilable<Row>,
): (db: Kysely<Database>, ...args: Args) => Promise<Row[]> {
  // Transactions share their database's adapter, so one template serves both.
  const templates = new WeakMap<DialectAdapter, Template>();

  function templateFor(db: Kysely<Database>): Template {
    const adapter = db.getExecutor().adapter;
    const cached = templates.get(adapter);
    if (cached) return cached;
    const markers = Array.from({ length: arity }, (_, index) => marker(index));
    const compiled = build(db, ...(markers as unknown as Args)).compile();
    const slots = compiled.parameters.map((value) => markers.indexOf(value as string));
    markers.forEach((text, index) => {
      if (slots.filter((slot) => slot === index).length !== 1 || compiled.sql.includes(text)) {
        throw new Error(`precompiled query: argument ${index} must be bound exactly once: ${compiled.sql}`);
      }
    });
    const template = { compiled, slots };
    templates.set(adapter, template);
    return template;
  }

  return async (db, ...args) => {
    const { compiled, slots } = templateFor(db);
    const parameters = slots.map((slot, index) => (slot === -1 ? compiled.parameters[index] : args[slot]));
    const result = await db.executeQuery<Row>({ ...compiled, parameters });
    return result.rows;
  };
}
