import { isDomainError } from '../../../../core/domain-error.js';
import type { MethodSpec } from '../call-context.js';
import { fail, MESSAGES } from '../messages.js';
import { unixSeconds } from '../string-sign.js';

const MAX_MESSAGES = 1000;

/** message/GetMessages: Channel (empty = every channel), only messages created strictly after Time. */
export const getMessages: MethodSpec = {
  scopes: ['messages:read'],
  async run(ctx) {
    const channel = ctx.params.nullableString('Channel');
    const time = ctx.params.int('Time', 0);
    const messages = await ctx.keyward.messages.list(ctx.principal, {
      channel,
      after: time > 0 ? new Date(time * 1000) : null,
      limit: MAX_MESSAGES,
    });
    return {
      messages: messages.map((m) => ({
        id: m.id,
        content: m.content,
        created: unixSeconds(m.createdAt),
        channel: m.channel,
      })),
    };
  },
};

/** message/CreateMessage: Time (unix seconds) dates the message; absent or 0 means now. */
export const createMessage: MethodSpec = {
  scopes: ['messages:write'],
  async run(ctx) {
    const time = ctx.params.int('Time', 0);
    try {
      const message = await ctx.keyward.messages.create(ctx.actor, {
        channel: ctx.params.string('Channel'),
        content: ctx.params.string('Content'),
        createdAt: time > 0 ? new Date(time * 1000) : undefined,
      });
      return { messageId: message.id };
    } catch (error) {
      if (isDomainError(error) && error.code === 'INVALID_INPUT') return fail(MESSAGES.invalidInput);
      throw error;
    }
  },
};

export const removeMessage: MethodSpec = {
  scopes: ['messages:write'],
  async run(ctx) {
    const id = ctx.params.id('Id');
    if (id === null) return fail(MESSAGES.messageNotFound);
    try {
      await ctx.keyward.messages.delete(ctx.actor, id);
    } catch (error) {
      if (isDomainError(error) && error.code === 'NOT_FOUND') return fail(MESSAGES.messageNotFound);
      throw error;
    }
    return {};
  },
};
