import { Type } from 'typebox';
import { DomainError } from '../../../core/domain-error.js';
import type { Keyward } from '../../../core/keyward.js';
import { MAX_CHANNEL_LENGTH, MAX_MESSAGE_LENGTH } from '../../../core/messages/message-service.js';
import type { Message as MessageModel } from '../../../core/model.js';
import type { App } from '../../fastify-context.js';
import { actorOf, principalOf } from '../../plugins/authenticate.js';
import { errorResponses, NoContent } from '../openapi/error-responses.js';
import { IdParams, listOf, PageQuery, Timestamp } from '../schemas.js';

const tags = ['messages'];

export const Message = Type.Object(
  {
    id: Type.Integer({ examples: [14] }),
    channel: Type.String({ description: 'Which apps it is for', examples: ['desktop-stable'] }),
    content: Type.String({ examples: ['Version 2.0 is out: https://example.com/download'] }),
    createdAt: Timestamp,
  },
  { title: 'Message', description: 'A note the vendor broadcasts to its apps.' },
);
const MessageCreate = Type.Object(
  {
    channel: Type.String({ minLength: 1, maxLength: MAX_CHANNEL_LENGTH }),
    content: Type.String({ minLength: 1, maxLength: MAX_MESSAGE_LENGTH }),
  },
  { additionalProperties: false },
);

const present = (m: MessageModel) => ({ ...m, createdAt: m.createdAt.toISOString() });

// Messages are listed by time, newest first, and several may share an instant: the cursor names both.
const cursorOf = (m: MessageModel) => `${m.createdAt.getTime()}-${m.id}`;
function parseMessageCursor(after: string | undefined): { createdAt: Date; id: number } | null {
  if (after === undefined || after === '') return null;
  const match = /^(\d{1,15})-(\d{1,10})$/.exec(after);
  if (!match)
    throw new DomainError('INVALID_INPUT', 'after must be a cursor from nextCursor', { field: 'after' });
  return { createdAt: new Date(Number(match[1])), id: Number(match[2]) };
}

/**
 * Messages the vendor broadcasts to its apps by channel (Cryptolens' message/… methods natively). Any
 * reader may read them; only a credential without product or license locks writes them (core decides).
 */
export function messageRoutes(app: App, keyward: Keyward): void {
  app.get(
    '/messages',
    {
      config: { auth: { scope: 'messages:read', method: 'message/getmessages' } },
      schema: {
        tags,
        summary: 'List messages',
        description: 'Messages, newest first; by channel, and only those created after `since` if given.',
        querystring: Type.Object(
          {
            ...PageQuery,
            channel: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_CHANNEL_LENGTH })),
            since: Type.Optional(Timestamp),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(Message) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const messages = await keyward.messages.list(principalOf(request), {
        channel: request.query.channel ?? null,
        after: request.query.since ? new Date(request.query.since) : null,
        before: parseMessageCursor(request.query.after),
        limit,
      });
      const last = messages[messages.length - 1];
      return {
        data: messages.map(present),
        nextCursor: messages.length === limit && last ? cursorOf(last) : null,
      };
    },
  );

  app.post(
    '/messages',
    {
      config: { auth: { scope: 'messages:write', method: 'message/createmessage' }, idempotent: true },
      schema: {
        tags,
        summary: 'Create a message',
        description:
          'Broadcasts a message on a channel. Only a credential without product or license lock writes.',
        body: MessageCreate,
        response: { 201: Message },
      },
    },
    async (request, reply) => {
      const message = await keyward.messages.create(actorOf(request, 'native'), request.body);
      return reply.status(201).send(present(message));
    },
  );

  app.delete(
    '/messages/:id',
    {
      config: { auth: { scope: 'messages:write', method: 'message/removemessage' } },
      schema: {
        tags,
        summary: 'Delete a message',
        description: 'Deletes a message. Only a credential without product or license lock writes.',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses('NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await keyward.messages.delete(actorOf(request, 'native'), request.params.id);
      return reply.status(204).send();
    },
  );
}
