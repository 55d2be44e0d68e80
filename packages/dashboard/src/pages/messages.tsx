import { type FormEvent, useState } from 'react';
import { del, get, type Message, type Page, post } from '../api';
import { DataTable } from '../data-table';
import { FeedbackNote, useFeedback } from '../feedback';
import { FormFooter } from '../form-footer';
import { Loaded } from '../loaded';
import { useCan } from '../session';
import { Empty, Field, formatDate, PageHeader, useAsync } from '../ui';

const PAGE_SIZE = 50;

export function MessagesPage() {
  const canWrite = useCan('messages:write');
  const [channelFilter, setChannelFilter] = useState('');
  const [shownChannel, setShownChannel] = useState('');
  const [more, setMore] = useState<{ items: Message[]; cursor: string | null } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const list = useAsync(
    () => get<Page<Message>>('/messages', { channel: shownChannel, limit: PAGE_SIZE }),
    [shownChannel],
  );
  const [channel, setChannel] = useState('');
  const [content, setContent] = useState('');
  const created = useFeedback();
  const notice = useFeedback();

  const reload = () => {
    setMore(null);
    list.reload();
  };
  const messages = [...(list.data?.data ?? []), ...(more?.items ?? [])];
  const cursor = more ? more.cursor : (list.data?.nextCursor ?? null);
  const loadMore = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await get<Page<Message>>('/messages', {
        channel: shownChannel,
        limit: PAGE_SIZE,
        after: cursor,
      });
      setMore({ items: [...(more?.items ?? []), ...page.data], cursor: page.nextCursor });
    } catch (e) {
      notice.failed(e);
    } finally {
      setLoadingMore(false);
    }
  };

  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (await created.run(() => post('/messages', { channel, content }), `Message posted to “${channel}”.`)) {
      // The channel stays for the next message; the text starts afresh.
      setContent('');
      reload();
    }
  };
  const remove = async (message: Message) => {
    if (!window.confirm('Delete this message? Apps stop seeing it.')) return;
    created.clear();
    if (await notice.run(() => del(`/messages/${message.id}`), `Message deleted from “${message.channel}”.`))
      reload();
  };

  return (
    <>
      <PageHeader title="Messages">
        Notes your apps read by channel (“version 2.0 is out”), also through Cryptolens’ GetMessages.
      </PageHeader>
      {canWrite && (
        <form className="card stack" onSubmit={create} aria-labelledby="new-message">
          <h2 id="new-message">New message</h2>
          <Field label="Channel" hint="Apps ask for the messages of a channel, e.g. “stable” or “beta”">
            {(p) => (
              <input
                {...p}
                required
                maxLength={100}
                value={channel}
                onChange={(e) => setChannel(e.target.value)}
              />
            )}
          </Field>
          <Field label="Message">
            {(p) => (
              <textarea
                {...p}
                required
                rows={3}
                maxLength={10_000}
                value={content}
                onChange={(e) => setContent(e.target.value)}
              />
            )}
          </Field>
          <FormFooter feedback={created.feedback} label="Post message" />
        </form>
      )}
      <form
        className="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setMore(null);
          setShownChannel(channelFilter.trim());
        }}
      >
        <div className="field grow">
          <label htmlFor="message-channel">Show channel</label>
          <input
            id="message-channel"
            type="search"
            placeholder="every channel"
            value={channelFilter}
            onChange={(e) => setChannelFilter(e.target.value)}
          />
        </div>
        <button type="submit" className="secondary">
          Show
        </button>
      </form>
      <FeedbackNote feedback={notice.feedback} />
      <Loaded
        state={list}
        rows={() => messages}
        onRetry={reload}
        empty={<Empty title={shownChannel ? `No messages in “${shownChannel}”` : 'No messages yet'} />}
      >
        {(rows) => (
          <>
            <DataTable
              caption="Messages, newest first"
              columns={['Channel', 'Message', 'Posted', { label: 'Actions', hidden: true }]}
            >
              {rows.map((m) => (
                <tr key={m.id}>
                  <td>
                    <code>{m.channel}</code>
                  </td>
                  <td className="message-content">{m.content}</td>
                  <td>{formatDate(m.createdAt)}</td>
                  <td>
                    {canWrite && (
                      <button
                        type="button"
                        className="danger small"
                        aria-label={`Delete message ${m.id} in ${m.channel}`}
                        onClick={() => remove(m)}
                      >
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </DataTable>
            {cursor && (
              <button type="button" className="secondary" onClick={loadMore} disabled={loadingMore}>
                {loadingMore ? 'Loading…' : 'Show older messages'}
              </button>
            )}
          </>
        )}
      </Loaded>
    </>
  );
}
