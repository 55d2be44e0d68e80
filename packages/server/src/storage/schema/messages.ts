import type { Generated } from 'kysely';
import type { Millis } from './column-types.js';

/** Messages broadcast to apps on a channel (migration 002). */

export interface MessagesTable {
  id: Generated<number>;
  channel: string;
  content: string;
  created_at: Millis;
}

export interface MessageTables {
  messages: MessagesTable;
}
