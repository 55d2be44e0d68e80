import type { Kysely, Selectable } from 'kysely';
import type { MessageRepository } from '../../core/messages/message-ports.js';
import type { Message } from '../../core/model.js';
import { fromMillis } from '../columns.js';
import type { Database } from '../schema/index.js';
import type { MessagesTable } from '../schema/messages.js';

const toMessage = (row: Selectable<MessagesTable>): Message => ({
  id: row.id,
  channel: row.channel,
  content: row.content,
  createdAt: fromMillis(row.created_at),
});

export function messageRepository(db: Kysely<Database>): MessageRepository {
  return {
    async insert(input) {
      const row = await db
        .insertInto('messages')
        .values({ channel: input.channel, content: input.content, created_at: input.createdAt.getTime() })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toMessage(row);
    },
    async findById(id) {
      const row = await db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toMessage(row) : null;
    },
    async list({ channel, after, limit, before }) {
      let query = db
        .selectFrom('messages')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit);
      if (channel !== null) query = query.where('channel', '=', channel);
      if (after !== null) query = query.where('created_at', '>', after.getTime());
      if (before) {
        const at = before.createdAt.getTime();
        query = query.where((eb) =>
          eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', before.id)])]),
        );
      }
      return (await query.execute()).map(toMessage);
    },
    async delete(id) {
      const result = await db.deleteFrom('messages').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
