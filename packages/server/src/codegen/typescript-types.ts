/**
 * TypeScript declarations for the named shapes of JSON schemas (as the OpenAPI document writes them): a
 * schema with a `title` is a named type, declared once and referred to by name wherever it appears. The
 * title `Page` is the generic list answer, `Page<T>`.
 */

type Schema = {
  title?: string;
  description?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  patternProperties?: Record<string, Schema>;
  [keyword: string]: unknown;
};

const PAGE = 'Page';
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const quote = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
const literal = (value: unknown) => (typeof value === 'string' ? quote(value) : JSON.stringify(value));

/** A doc comment at `indent`, or nothing without a description. */
function docComment(description: string | undefined, indent: string): string {
  if (!description) return '';
  const lines = description.replaceAll('*/', '*\\/').split('\n');
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((line) => `${indent} * ${line}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

/** The page schema with its item left out, to compare pages of different items. */
function pageShape(schema: Schema): string {
  const data = schema.properties?.data;
  const keys = Object.keys(schema.properties ?? {}).sort();
  if (schema.type !== 'object' || data?.type !== 'array' || keys.join() !== 'data,nextCursor')
    throw new Error(`a schema titled ${PAGE} must be { data: T[], nextCursor }`);
  return JSON.stringify({ ...schema, properties: { ...schema.properties, data: { ...data, items: null } } });
}

export class TypeScriptTypes {
  /** Each title with the one shape it names (its JSON, for comparison). */
  private readonly named = new Map<string, { schema: Schema; shape: string }>();

  /** Registers every titled schema within `schema`; a title naming two different shapes is an error. */
  collect(schema: unknown): void {
    if (Array.isArray(schema)) {
      for (const item of schema) this.collect(item);
      return;
    }
    if (typeof schema !== 'object' || schema === null) return;
    const titled = schema as Schema;
    if (typeof titled.title === 'string') {
      const shape = titled.title === PAGE ? pageShape(titled) : JSON.stringify(titled);
      const known = this.named.get(titled.title);
      if (known && known.shape !== shape)
        throw new Error(`the title ${titled.title} names two different shapes:\n${known.shape}\n${shape}`);
      if (!known) this.named.set(titled.title, { schema: titled, shape });
    }
    for (const value of Object.values(schema)) this.collect(value);
  }

  /** Every named type, by name. */
  declarations(): string {
    return [...this.named.keys()]
      .sort()
      .map((name) => this.declaration(name))
      .join('\n');
  }

  private declaration(name: string): string {
    const { schema } = this.named.get(name) as { schema: Schema };
    const comment = docComment(schema.description, '');
    if (name === PAGE) {
      const data = schema.properties?.data as Schema;
      const body = this.objectBody(
        { ...schema, properties: { ...schema.properties, data: { ...data, items: { title: 'T' } } } },
        '',
      );
      return `${comment}export interface ${PAGE}<T> ${body}\n`;
    }
    if (schema.type === 'object' && schema.properties)
      return `${comment}export interface ${name} ${this.objectBody(schema, '')}\n`;
    return `${comment}export type ${name} = ${this.expression({ ...schema, title: undefined }, '')};\n`;
  }

  /** The type of a schema where it is used: a named type by its name, any other inline. */
  private expression(schema: Schema, indent: string): string {
    if (schema.title === 'T') return 'T';
    if (schema.title === PAGE)
      return `${PAGE}<${this.expression(schema.properties?.data?.items as Schema, indent)}>`;
    if (schema.title !== undefined) return schema.title;
    if (schema.enum) return schema.enum.map(literal).join(' | ');
    if ('const' in schema) return literal(schema.const);
    const union = schema.anyOf ?? schema.oneOf;
    if (union) return [...new Set(union.map((member) => this.member(member, indent)))].join(' | ');
    if (Array.isArray(schema.type))
      return schema.type.map((type) => this.expression({ ...schema, type }, indent)).join(' | ');
    switch (schema.type) {
      case 'null':
        return 'null';
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'array':
        return `${this.member(schema.items ?? {}, indent)}[]`;
      case 'object':
        return this.objectType(schema, indent);
      case undefined:
        return 'unknown';
      default:
        throw new Error(`no TypeScript type for the schema type ${schema.type}`);
    }
  }

  /** A member of a union or the item of an array: parenthesized when it is a union itself. */
  private member(schema: Schema, indent: string): string {
    const text = this.expression(schema, indent);
    return text.includes(' | ') && schema.title === undefined ? `(${text})` : text;
  }

  private objectType(schema: Schema, indent: string): string {
    if (schema.properties && Object.keys(schema.properties).length > 0)
      return this.objectBody(schema, indent);
    const values =
      schema.additionalProperties ?? Object.values(schema.patternProperties ?? {})[0] ?? (true as const);
    if (values === false) return 'Record<string, never>';
    const valueType = values === true ? 'unknown' : this.expression(values, indent);
    return `Record<string, ${valueType}>`;
  }

  private objectBody(schema: Schema, indent: string): string {
    const inner = `${indent}  `;
    const required = new Set(schema.required ?? []);
    const members = Object.entries(schema.properties ?? {}).map(([key, property]) => {
      const name = IDENTIFIER.test(key) ? key : quote(key);
      const optional = required.has(key) ? '' : '?';
      // A named type documents itself; its use here documents the property.
      return `${docComment(property.description, inner)}${inner}${name}${optional}: ${this.expression(property, inner)};`;
    });
    return `{\n${members.join('\n')}\n${indent}}`;
  }
}
