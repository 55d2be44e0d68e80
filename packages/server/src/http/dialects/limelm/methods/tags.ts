import { invalidParameter } from '../errors.js';
import { readTags } from './key-settings.js';
import type { LimeLmMethod } from './method.js';

/** limelm.pkey.setTags: the key's tags become exactly `tag[]` (none given: no tags). */
export const setTags: LimeLmMethod = {
  scopes: ['licenses:write'],
  async run(ctx) {
    const { license } = await ctx.license();
    await ctx.keyward.licenses.update(ctx.actor, license.id, { tags: readTags(ctx.params) ?? [] });
    return [];
  },
};

/** limelm.pkey.removeTag: removes `tag` from the key; a tag it does not carry is fine. */
export const removeTag: LimeLmMethod = {
  scopes: ['licenses:write'],
  async run(ctx) {
    const { license } = await ctx.license();
    const tags = readTags(ctx.params) ?? [];
    if (tags.length === 0) throw invalidParameter('tag is required');
    await ctx.keyward.licenses.update(ctx.actor, license.id, {
      tags: license.tags.filter((t) => !tags.includes(t)),
    });
    return [];
  },
};

/** limelm.tag.delete: removes `tag` from every key the API key reaches. */
export const deleteTag: LimeLmMethod = {
  scopes: ['licenses:write'],
  async run(ctx) {
    const tags = readTags(ctx.params) ?? [];
    if (tags.length === 0) throw invalidParameter('tag is required');
    for (const tag of tags) {
      await ctx.keyward.licenseTags.removeEverywhere(ctx.actor, tag);
    }
    return [];
  },
};
