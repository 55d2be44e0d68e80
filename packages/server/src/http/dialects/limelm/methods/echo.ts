import { type Child, el, list, textNode, type XmlNode } from '../render/node.js';
import type { LimeLmMethod } from './method.js';

/** Element names XML allows; parameters named otherwise are echoed as `<param name value/>`. */
const XML_NAME = /^(?!xml)[A-Za-z_][A-Za-z0-9_.-]*$/i;

/**
 * limelm.test.echo (its response is undocumented): every parameter back the way Flickr's API, which
 * LimeLM's mirrors, echoes: `<name>value</name>`, in JSON `{"name": {"_content": "value"}}`; a list
 * (`tag[]`) repeats its element, an array in JSON. A name sent both plain and as a list echoes as the list. The API key is not echoed back.
 */
export const echo: LimeLmMethod = {
  scopes: [],
  async run(ctx) {
    const { form } = ctx.params;
    const nodes: Child[] = [];
    const odd: XmlNode[] = [];
    for (const name of form.order) {
      if (name === 'api_key') continue;
      const isList = Object.hasOwn(form.lists, name);
      const values = (isList ? form.lists[name] : [form.scalars[name]]) as string[];
      if (!XML_NAME.test(name)) odd.push(...values.map((value) => el('param', { name, value })));
      else if (isList)
        nodes.push(
          list(
            name,
            values.map((v) => textNode(name, v)),
          ),
        );
      else nodes.push(textNode(name, values[0] as string));
    }
    return odd.length > 0 ? [...nodes, list('param', odd)] : nodes;
  },
};
