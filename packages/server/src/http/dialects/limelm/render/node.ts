/**
 * A LimeLM answer as a tree, rendered either as XML or as JSON by one mapping (spec §1.4): an element is an
 * object of its attributes, a child element is a property named after it, and a repeated child is an array
 * even when it holds one item. Attribute values are strings; the few the vendor sends as JSON numbers
 * (`total` of generate and find, `pages` of searches) are given as numbers.
 */

export type AttrValue = string | number;

export interface XmlNode {
  name: string;
  attrs: Record<string, AttrValue>;
  children: Child[];
  /** Text content (test.echo); JSON shows it as `{"_content": …}` the way Flickr's API does. */
  text?: string;
}

/** Repeated children of one name: an array in JSON, even with one item or none. */
export interface ListChild {
  list: string;
  items: XmlNode[];
}

export type Child = XmlNode | ListChild;

/** Attributes whose value is undefined or null are left out. */
export function el(
  name: string,
  attrs: Record<string, AttrValue | undefined | null> = {},
  ...children: Child[]
): XmlNode {
  const kept: Record<string, AttrValue> = {};
  for (const [key, value] of Object.entries(attrs))
    if (value !== undefined && value !== null) kept[key] = value;
  return { name, attrs: kept, children };
}

export function list(name: string, items: XmlNode[]): ListChild {
  return { list: name, items };
}

export function textNode(name: string, text: string): XmlNode {
  return { name, attrs: {}, children: [], text };
}

export const isList = (child: Child): child is ListChild => 'list' in child;
