import { readFileSync } from 'node:fs';
// Vitest re-exports Vite's parser (oxc); it is the TypeScript parser the server's dependencies already hold,
// since TypeScript 7 ships a compiler binary without a JavaScript API. Vite marks this name deprecated in
// favour of parseSync, which only Vite itself exports.
import { parseAst } from 'vitest/node';

/** One module a source file names: `import … from`, `export … from`, `import()`, `import('…').T` or `require`. */
export interface SourceImport {
  /**
   * The written specifier, or the top-level string constant an `import()` names; null for an `import()` of a
   * computed value, which no scan can follow.
   */
  specifier: string | null;
  line: number;
  /** Erased at compile time: `import type`, `export type … from`, or an `import('…')` type. */
  typeOnly: boolean;
}

/** A read of the `process` global (`process.env`, `process.argv`, …), or an import of `node:process`. */
export interface ProcessRead {
  what: string;
  line: number;
}

export interface SourceFacts {
  imports: SourceImport[];
  processReads: ProcessRead[];
}

interface Node {
  type: string;
  start: number;
  [key: string]: unknown;
}

const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && typeof (value as Node).type === 'string';

const stringValue = (node: unknown): string | null =>
  isNode(node) && node.type === 'Literal' && typeof node['value'] === 'string' ? node['value'] : null;

const isProcess = (node: unknown): boolean =>
  isNode(node) &&
  ((node.type === 'Identifier' && node['name'] === 'process') ||
    (node.type === 'MemberExpression' &&
      isNode(node['object']) &&
      node['object']['name'] === 'globalThis' &&
      propertyName(node) === 'process'));

function propertyName(member: Node): string {
  const property = member['property'];
  if (!member['computed'] && isNode(property)) return String(property['name']);
  return stringValue(property) ?? '[computed]';
}

function lineOf(lineStarts: number[], offset: number): number {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if ((lineStarts[middle] as number) <= offset) low = middle;
    else high = middle - 1;
  }
  return low + 1;
}

/**
 * The file's top-level `const NAME = 'text'`: an `import(NAME)` of one is as plain as a written specifier
 * (the SDK names node:crypto so, to keep browser bundlers from following it).
 */
function topLevelStrings(program: Node): Map<string, string> {
  const constants = new Map<string, string>();
  for (const statement of program['body'] as Node[]) {
    if (statement.type !== 'VariableDeclaration' || statement['kind'] !== 'const') continue;
    for (const declarator of statement['declarations'] as Node[]) {
      const id = declarator['id'];
      const value = stringValue(declarator['init']);
      if (isNode(id) && id.type === 'Identifier' && value !== null) constants.set(String(id['name']), value);
    }
  }
  return constants;
}

/** The modules a TypeScript file imports and the process state it reads, found by parsing it. */
export function readSourceFacts(file: string): SourceFacts {
  const code = readFileSync(file, 'utf8');
  const lang = file.endsWith('.tsx') ? 'tsx' : file.endsWith('.d.ts') ? 'dts' : 'ts';
  const program = parseAst(code, { lang }, file) as unknown as Node;
  const lineStarts = [0];
  for (let index = code.indexOf('\n'); index !== -1; index = code.indexOf('\n', index + 1)) {
    lineStarts.push(index + 1);
  }
  const facts: SourceFacts = { imports: [], processReads: [] };
  const constants = topLevelStrings(program);
  const addImport = (node: Node, source: unknown, typeOnly: boolean) => {
    const specifier =
      isNode(source) && source.type === 'Identifier'
        ? (constants.get(String(source['name'])) ?? null)
        : stringValue(source);
    const line = lineOf(lineStarts, node.start);
    facts.imports.push({ specifier, line, typeOnly });
    if (specifier === 'node:process' || specifier === 'process') {
      facts.processReads.push({ what: `import of '${specifier}'`, line });
    }
  };

  const visit = (node: Node) => {
    switch (node.type) {
      case 'ImportDeclaration':
        addImport(node, node['source'], node['importKind'] === 'type');
        break;
      case 'ExportNamedDeclaration':
      case 'ExportAllDeclaration':
        if (node['source']) addImport(node, node['source'], node['exportKind'] === 'type');
        break;
      case 'ImportExpression':
        addImport(node, node['source'], false);
        break;
      case 'TSImportType':
        addImport(node, node['source'], true);
        break;
      case 'TSExternalModuleReference':
        addImport(node, node['expression'], false);
        break;
      case 'CallExpression': {
        const callee = node['callee'];
        if (isNode(callee) && callee.type === 'Identifier' && callee['name'] === 'require') {
          addImport(node, (node['arguments'] as unknown[])[0], false);
        }
        break;
      }
      case 'MemberExpression':
        if (isProcess(node['object'])) {
          facts.processReads.push({
            what: `process.${propertyName(node)}`,
            line: lineOf(lineStarts, node.start),
          });
        }
        break;
      case 'VariableDeclarator':
        if (isProcess(node['init'])) {
          facts.processReads.push({ what: 'process (destructured)', line: lineOf(lineStarts, node.start) });
        }
        break;
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'parent') continue;
      if (Array.isArray(value)) {
        for (const child of value) if (isNode(child)) visit(child);
      } else if (isNode(value)) visit(value);
    }
  };
  visit(program);
  return facts;
}
