import { type Child, isList, type XmlNode } from './node.js';

type JsonObject = Record<string, unknown>;

function nodeToJson(node: XmlNode): JsonObject {
  const out: JsonObject = { ...node.attrs };
  if (node.text !== undefined) out._content = node.text;
  for (const child of node.children) {
    if (isList(child)) out[child.list] = child.items.map(nodeToJson);
    else out[child.name] = nodeToJson(child);
  }
  return out;
}

function payloadToJson(payload: Child[]): JsonObject {
  const out: JsonObject = {};
  for (const child of payload) {
    if (isList(child)) out[child.list] = child.items.map(nodeToJson);
    else out[child.name] = nodeToJson(child);
  }
  return out;
}

export function jsonSuccess(payload: Child[]): JsonObject {
  return { stat: 'ok', ...payloadToJson(payload) };
}

/**
 * `code` is a number and the text is `message`, as recorded from the vendor; `err` repeats both the way the
 * XML has them, for clients that read `err.code` (spec §1.4 notes both kinds exist).
 */
export function jsonFailure(code: number, message: string): JsonObject {
  return { stat: 'fail', code, message, err: { code: String(code), msg: message } };
}
