import fastJson from 'fast-json-stringify';
import type { FastifyInstance } from 'fastify';

type Schema = Record<string, unknown>;

const PRIMITIVES = new Set(['string', 'number', 'integer', 'boolean', 'null']);
/** Keywords that constrain a value but do not change how it is written out. */
const WRITE_NEUTRAL = new Set(['type', 'format', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum']);

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
  if (Object.keys(siblings).length > 0) return copy;
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

export function registerResponseSerializer(app: FastifyInstance): void {
  app.setSerializerCompiler(({ schema }) => fastJson(withCheapUnions(schema) as Schema));
}
