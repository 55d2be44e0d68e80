import type { Message } from '../model.js';

/** Messages: notes a vendor publishes to its apps, per channel. */

export interface MessageRepository {
  insert(input: Omit<Message, 'id'>): Promise<Message>;
  findById(id: number): Promise<Message | null>;
  /**
   * Newest first; `channel` null means every channel; only messages created strictly after `after`, and
   * (a page's cursor) only those ordered after `before`, the last message of the previous page.
   */
  list(input: {
    channel: string | null;
    after: Date | null;
    limit: number;
    before?: { createdAt: Date; id: number } | null;
  }): Promise<Message[]>;
  delete(id: number): Promise<boolean>;
}

/** The repository above, as `Repositories` holds it. */
export interface MessageRepositories {
  messages: MessageRepository;
}
