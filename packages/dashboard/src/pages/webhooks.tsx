import { type FormEvent, useState } from 'react';
import { del, get, type Page, patch, post } from '../api';
import { useCan } from '../session';
import {
  CopyButton,
  Empty,
  ErrorNote,
  errorText,
  Field,
  formatDate,
  Loading,
  PageHeader,
  useAsync,
} from '../ui';

interface Webhook {
  id: number;
  url: string;
  description: string | null;
  eventTypes: string[];
  isEnabled: boolean;
  createdAt: string;
}

interface Delivery {
  id: number;
  eventType: string;
  status: string;
  attemptCount: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
}

function Deliveries({ webhook }: { webhook: Webhook }) {
  const canWrite = useCan('webhooks:write');
  const list = useAsync(
    () => get<Page<Delivery>>(`/webhooks/${webhook.id}/deliveries`, { limit: 20 }),
    [webhook.id],
  );
  const [error, setError] = useState<string | null>(null);
  const redeliver = async (delivery: Delivery) => {
    setError(null);
    try {
      await post(`/webhook-deliveries/${delivery.id}/actions/redeliver`);
      list.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  if (list.error) return <ErrorNote error={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading />;
  if (list.data.data.length === 0) return <p className="muted">No deliveries yet.</p>;
  return (
    <>
      {error && (
        <p className="note error" role="alert">
          {error}
        </p>
      )}
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Recent deliveries to {webhook.url}</caption>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Attempts
              </th>
              <th scope="col">Last answer</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((d) => (
              <tr key={d.id}>
                <td>
                  <code>{d.eventType}</code>
                </td>
                <td>{d.status}</td>
                <td className="num">{d.attemptCount}</td>
                <td>{d.lastStatusCode ?? d.lastError ?? '—'}</td>
                <td>{formatDate(d.createdAt)}</td>
                <td>
                  {canWrite && (
                    <button type="button" className="secondary small" onClick={() => redeliver(d)}>
                      Redeliver
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function WebhooksPage() {
  const canWrite = useCan('webhooks:write');
  const hooks = useAsync(() => get<Page<Webhook>>('/webhooks', { limit: 1000 }), []);
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState('license.*, machine.*');
  const [description, setDescription] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const created = await post<Webhook & { secret: string }>('/webhooks', {
        url,
        eventTypes: types.split(/[\s,]+/).filter(Boolean),
        ...(description ? { description } : {}),
      });
      setSecret(created.secret);
      setUrl('');
      hooks.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const change = async (run: () => Promise<unknown>) => {
    setError(null);
    try {
      await run();
      hooks.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <>
      <PageHeader title="Webhooks">
        Endpoints that hear about events as they happen, signed with their secret.
      </PageHeader>
      {canWrite && (
        <form className="card stack" onSubmit={create} aria-labelledby="new-webhook">
          <h2 id="new-webhook">New endpoint</h2>
          {secret && (
            <div className="note success" role="status">
              <p>
                <strong>Copy the signing secret now: it is shown only once.</strong>
              </p>
              <code className="secret">{secret}</code> <CopyButton text={secret} label="Copy secret" />
            </div>
          )}
          <Field label="URL">
            {(p) => <input {...p} type="url" required value={url} onChange={(e) => setUrl(e.target.value)} />}
          </Field>
          <Field label="Events" hint="Types (license.created), groups (license.*) or *; separated by commas">
            {(p) => <input {...p} required value={types} onChange={(e) => setTypes(e.target.value)} />}
          </Field>
          <Field label="Description (optional)">
            {(p) => (
              <input
                {...p}
                maxLength={500}
                value={description}
                onChange={(e) => setDescription(e.target.value)}
              />
            )}
          </Field>
          <div className="actions">
            <button type="submit">Add endpoint</button>
          </div>
        </form>
      )}
      {error && (
        <p className="note error" role="alert">
          {error}
        </p>
      )}
      {hooks.error ? (
        <ErrorNote error={hooks.error} onRetry={hooks.reload} />
      ) : !hooks.data ? (
        <Loading />
      ) : hooks.data.data.length === 0 ? (
        <Empty title="No webhook endpoints" />
      ) : (
        <ul className="cards single">
          {hooks.data.data.map((hook) => (
            <li key={hook.id} className="card">
              <div className="card-head">
                <h3 className="mono">{hook.url}</h3>
                <span className={`badge ${hook.isEnabled ? 'badge-active' : 'badge-expired'}`}>
                  {hook.isEnabled ? 'enabled' : 'disabled'}
                </span>
              </div>
              <p className="muted">
                {hook.description ? `${hook.description} · ` : ''}
                {hook.eventTypes.join(', ')} · since {formatDate(hook.createdAt)}
              </p>
              <div className="actions wrap">
                <button
                  type="button"
                  className="secondary small"
                  aria-expanded={open === hook.id}
                  onClick={() => setOpen(open === hook.id ? null : hook.id)}
                >
                  {open === hook.id ? 'Hide deliveries' : 'Show deliveries'}
                </button>
                {canWrite && (
                  <>
                    <button
                      type="button"
                      className="secondary small"
                      onClick={() =>
                        change(() => patch(`/webhooks/${hook.id}`, { isEnabled: !hook.isEnabled }))
                      }
                    >
                      {hook.isEnabled ? 'Disable' : 'Enable'}
                    </button>
                    <button
                      type="button"
                      className="danger small"
                      aria-label={`Delete endpoint ${hook.url}`}
                      onClick={() =>
                        window.confirm(`Delete the endpoint ${hook.url}?`) &&
                        change(() => del(`/webhooks/${hook.id}`))
                      }
                    >
                      Delete
                    </button>
                  </>
                )}
              </div>
              {open === hook.id && <Deliveries webhook={hook} />}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
