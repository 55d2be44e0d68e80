import { type Child, isList, type XmlNode } from './node.js';

// Characters XML 1.0 cannot hold at all; they become U+FFFD rather than making the document unreadable.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching exactly those control characters is the point.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

// Anything escapeAttribute changes: most values hold none of it, and one test is cheaper than eight replaces.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it looks for.
const NEEDS_ESCAPING = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF&<>"\n\r\t]/;

/** Escapes text for a double-quoted attribute; line breaks and tabs survive as character references. */
export function escapeAttribute(value: string): string {
  if (!NEEDS_ESCAPING.test(value)) return value;
  return value
    .replace(FORBIDDEN, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

function escapeText(value: string): string {
  return value
    .replace(FORBIDDEN, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export function renderNode(node: XmlNode): string {
  const attrs = Object.entries(node.attrs)
    .map(([key, value]) => ` ${key}="${escapeAttribute(String(value))}"`)
    .join('');
  const inner =
    (node.text === undefined ? '' : escapeText(node.text)) + node.children.map(renderChild).join('');
  return inner === '' ? `<${node.name}${attrs}/>` : `<${node.name}${attrs}>${inner}</${node.name}>`;
}

function renderChild(child: Child): string {
  return isList(child) ? child.items.map(renderNode).join('') : renderNode(child);
}

const HEADER = '<?xml version="1.0" encoding="utf-8"?>\n';

/** The `rest` format's envelope (spec §1.3): each payload element on its own tab-indented line. */
export function xmlSuccess(payload: Child[]): string {
  const body = payload.map((child) => `\t${renderChild(child)}\n`).join('');
  return `${HEADER}<rsp stat="ok">\n${body}</rsp>`;
}

export function xmlFailure(code: number, message: string): string {
  return `${HEADER}<rsp stat="fail">\n\t<err code="${code}" msg="${escapeAttribute(message)}" />\n</rsp>`;
}
