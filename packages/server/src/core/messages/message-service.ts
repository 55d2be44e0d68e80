import type { Actor } from '../access/actor.js';
import { assertAccountWide, assertScope, type Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { Message } from '../model.js';
import type { Store } from '../ports.js';

export const MAX_MESSAGE_LENGTH = 10_000;
export const MAX_CHANNEL_LENGTH = 100;

/**
 * Notes a vendor broadcasts to its apps, read by channel ("a new version is out"). Messages belong to the
 * whole account, so only a token without product or license locks writes them; any reader may read.
 */
export class MessageService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async create(
    actor: Actor,
    input: { channel: string; content: string; createdAt?: Date | undefined },
  ): Promise<Message> {
    assertScope(actor.principal, 'messages:write');
    assertAccountWide(actor.principal);
    if (input.content.length > MAX_MESSAGE_LENGTH) {
      throw new DomainError('INVALID_INPUT', `a message holds at most ${MAX_MESSAGE_LENGTH} characters`, {
        field: 'content',
      });
    }
    if (input.channel.length > MAX_CHANNEL_LENGTH) {
      throw new DomainError(
        'INVALID_INPUT',
        `a channel name holds at most ${MAX_CHANNEL_LENGTH} characters`,
        {
          field: 'channel',
        },
      );
    }
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const message = await tx.messages.insert({
        channel: input.channel,
        content: input.content,
        createdAt: input.createdAt ?? now,
      });
      await tx.events.append(newEvent('message.created', actor, now, {}, { messageId: message.id }));
      return message;
    });
  }

  /**
   * Newest first; a null channel reads every channel; only messages created strictly after `after`; `before`
   * (the last message of a previous page) continues a listing.
   */
  list(
    principal: Principal | null,
    query: {
      channel: string | null;
      after: Date | null;
      limit: number;
      before?: { createdAt: Date; id: number } | null;
    },
  ): Promise<Message[]> {
    assertScope(principal, 'messages:read');
    return this.deps.store.messages.list(query);
  }

  async delete(actor: Actor, id: number): Promise<void> {
    assertScope(actor.principal, 'messages:write');
    assertAccountWide(actor.principal);
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      if (!(await tx.messages.delete(id))) throw new DomainError('NOT_FOUND', `message ${id} does not exist`);
      await tx.events.append(newEvent('message.deleted', actor, now, {}, { messageId: id }));
    });
  }
}
