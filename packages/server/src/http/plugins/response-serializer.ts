import fastJson from 'fast-json-stringify';
import type { FastifyInstance } from 'fastify';

type Schema = Record<string, unknown>;

const PRIMITIVES = new Set(['string', 'number', 'integer', 'boolean', 'null']);
/** Keywords that only document a value (for the OpenAPI document); the serializer ignores them. */
const ANNOTATIONS = new Set(['title', 'description', 'examples']);
/** Keywords that constrain a value but do not change how it is written out. */
const WRITE_NEUTRAL = new Set([
  'type',
  'format',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  ...ANNOTATIONS,
]);

const isSchema = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isPlainPrimitive = (schema: Schema) =>
  typeof schema.type === 'string' &&
  PRIMITIVES.has(schema.type) &&
  Object.keys(schema).every((keyword) => WRITE_NEUTRAL.has(keyword));

/** The members of an anyOf, nested anyOfs flattened (TypeBox nests a nullable union of unions). */
function members(anyOf: unknown[]): Schema[] {
  return anyOf.filter(isSchema).flatMap((member) => {
    const keys = Object.keys(member);
    return keys.length === 1 && Array.isArray(member.anyOf) ? members(member.anyOf) : [member];
  });
}

/**
 * fast-json-stringify picks the branch of an `anyOf` by running Ajv over the value on every response (the
 * whole license object, formats included, for a nullable license), which cost more than serializing it. The
 * unions the API's responses use need no such check: "X or null" is fast-json-stringify's own `nullable`, and
 * a union of plain primitive types is a `type` list it tells apart with `typeof`. Anything else is left alone.
 * The OpenAPI document keeps the original schemas; only the serializer sees these.
 */
export function withCheapUnions(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withCheapUnions);
  if (!isSchema(schema)) return schema;
  const copy: Schema = {};
  for (const [keyword, value] of Object.entries(schema)) copy[keyword] = withCheapUnions(value);
  if (!Array.isArray(copy.anyOf)) return copy;
  const { anyOf, ...siblings } = copy;
  if (Object.keys(siblings).some((keyword) => !ANNOTATIONS.has(keyword))) return copy;
  const options = members(anyOf);
  if (options.every(isPlainPrimitive)) return { type: [...new Set(options.map((o) => o.type as string))] };
  const nonNull = options.filter((o) => o.type !== 'null');
  const [only] = nonNull;
  if (
    nonNull.length === 1 &&
    only &&
    options.length === 2 &&
    typeof only.type === 'string' &&
    !only.nullable
  ) {
    return { ...only, nullable: true };
  }
  return copy;
}

/**
 * Answers whose schemas only document them: their writer builds them whole (the error envelope of
 * plugins/error-handler.ts, with free-form `details`), and they are written exactly as built, as they were
 * before they were documented. A schema-driven writer would reorder their keys and gain nothing.
 */
const writtenAsBuilt = new WeakSet<object>();

export function writeAsBuilt<T extends object>(schema: T): T {
  writtenAsBuilt.add(schema);
  return schema;
}

/**
 * One serializer per schema object, shared by every route and app answering with it (License, …): compiling
 * costs far more than serializing, and a process (a test run above all) builds apps many times. Schemas are
 * never changed once routes are registered.
 */
const compiled = new WeakMap<object, (value: unknown) => string>();

export function serializerFor(schema: unknown): (value: unknown) => string {
  const key = schema as object;
  let serialize = compiled.get(key);
  if (!serialize) {
    serialize = writtenAsBuilt.has(key)
      ? (value) => JSON.stringify(value)
      : fastJson(withCheapUnions(schema) as Schema);
    compiled.set(key, serialize);
  }
  return serialize;
}

export function registerResponseSerializer(app: FastifyInstance): void {
  app.setSerializerCompiler(({ schema }) => serializerFor(schema));
}
