import { describe, expect, it } from 'vitest';
import { jsonFailure, jsonSuccess } from './json.js';
import { el, list, textNode } from './node.js';
import { xmlFailure, xmlSuccess } from './xml.js';

describe('one tree, two renderings', () => {
  const payload = [
    el(
      'pkeys',
      { total: 1, absent: undefined },
      list('pkey', [
        el('pkey', { id: '9', key: 'A&B' }, el('tags', {}, list('tag', [el('tag', { name: '"x"' })]))),
      ]),
    ),
  ];

  it('XML: attributes escaped, lists as repeated elements', () => {
    expect(xmlSuccess(payload)).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\n<rsp stat="ok">\n\t<pkeys total="1"><pkey id="9" key="A&amp;B">' +
        '<tags><tag name="&quot;x&quot;"/></tags></pkey></pkeys>\n</rsp>',
    );
    expect(xmlFailure(117, 'a <b>')).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\n<rsp stat="fail">\n\t<err code="117" msg="a &lt;b&gt;" />\n</rsp>',
    );
  });

  it('JSON: attributes as properties, lists as arrays even with one item, numbers only where given', () => {
    expect(jsonSuccess(payload)).toEqual({
      stat: 'ok',
      pkeys: { total: 1, pkey: [{ id: '9', key: 'A&B', tags: { tag: [{ name: '"x"' }] } }] },
    });
    expect(jsonSuccess([textNode('method', 'm')])).toEqual({ stat: 'ok', method: { _content: 'm' } });
    expect(jsonFailure(1, 'x')).toEqual({
      stat: 'fail',
      code: 1,
      message: 'x',
      err: { code: '1', msg: 'x' },
    });
  });
});
