import { type FormEvent, useState } from 'react';
import {
  del,
  get,
  getAll,
  type Page,
  type Product,
  patch,
  post,
  type Webhook,
  type WebhookDelivery,
} from '../api';
import { DataTable } from '../data-table';
import { type Notice, NoticeNote } from '../feedback';
import { FormFooter } from '../form-footer';
import { Loaded } from '../loaded';
import { useCan } from '../session';
import {
  CopyButton,
  DialogFor,
  Empty,
  ErrorNote,
  errorText,
  Field,
  formatDate,
  Loading,
  PageHeader,
  useAsync,
} from '../ui';

const eventTypesOf = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/** Every setting of an endpoint but its secret (rotated separately), starting from what it has now. */
function EditWebhook({ webhook, onSaved }: { webhook: Webhook; onSaved: (saved: Webhook) => void }) {
  const products = useAsync(() => getAll<Product>('/products'), []);
  const [url, setUrl] = useState(webhook.url);
  const [types, setTypes] = useState(webhook.eventTypes.join(', '));
  const [description, setDescription] = useState(webhook.description ?? '');
  const [productIds, setProductIds] = useState<number[]>(webhook.productIds);
  const [isEnabled, setIsEnabled] = useState(webhook.isEnabled);
  const [includeImportRecords, setIncludeImportRecords] = useState(webhook.includeImportRecords);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const toggleProduct = (id: number) =>
    setProductIds((ids) => (ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id]));
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      onSaved(
        await patch<Webhook>(`/webhooks/${webhook.id}`, {
          url,
          eventTypes: eventTypesOf(types),
          description: description.trim() === '' ? null : description,
          productIds,
          isEnabled,
          includeImportRecords,
        }),
      );
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  return (
    <form className="stack" onSubmit={save} aria-label="Edit the endpoint">
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
      <fieldset className="checks">
        <legend>Products</legend>
        {products.data?.length ? (
          products.data.map((product) => (
            <label key={product.id}>
              <input
                type="checkbox"
                checked={productIds.includes(product.id)}
                onChange={() => toggleProduct(product.id)}
              />{' '}
              {product.name}
            </label>
          ))
        ) : (
          <span className="muted">No products yet.</span>
        )}
        <small className="muted">None ticked: events of every product, and those of none.</small>
      </fieldset>
      <fieldset className="checks">
        <legend>Delivery</legend>
        <label>
          <input type="checkbox" checked={isEnabled} onChange={(e) => setIsEnabled(e.target.checked)} />{' '}
          Enabled
        </label>
        <label>
          <input
            type="checkbox"
            checked={includeImportRecords}
            onChange={(e) => setIncludeImportRecords(e.target.checked)}
          />{' '}
          Every record an import writes, not only its summary
        </label>
      </fieldset>
      <FormFooter error={error} busy={busy} label="Save endpoint" />
    </form>
  );
}

function Deliveries({ webhook }: { webhook: Webhook }) {
  const canWrite = useCan('webhooks:write');
  const list = useAsync(
    () => get<Page<WebhookDelivery>>(`/webhooks/${webhook.id}/deliveries`, { limit: 20 }),
    [webhook.id],
  );
  const [notice, setNotice] = useState<Notice | null>(null);
  const redeliver = async (delivery: WebhookDelivery) => {
    setNotice(null);
    try {
      await post(`/webhook-deliveries/${delivery.id}/actions/redeliver`);
      setNotice({ text: `Delivery #${delivery.id} (${delivery.eventType}) will be sent again now.` });
      list.reload();
    } catch (e) {
      setNotice({ text: errorText(e), error: true });
    }
  };
  if (list.error) return <ErrorNote error={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading />;
  if (list.data.data.length === 0) return <p className="muted">No deliveries yet.</p>;
  return (
    <>
      <NoticeNote notice={notice} />
      <button type="button" className="link" onClick={list.reload}>
        Refresh deliveries
      </button>
      <DataTable
        caption={`Recent deliveries to ${webhook.url}`}
        columns={[
          'Event',
          'Status',
          { label: 'Attempts', numeric: true },
          'Last answer',
          'Created',
          { label: 'Actions', hidden: true },
        ]}
      >
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
      </DataTable>
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
  const [createError, setCreateError] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [editing, setEditing] = useState<Webhook | null>(null);
  // Bumped so an endpoint's open delivery list reloads after a test event.
  const [generation, setGeneration] = useState(0);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setCreateError(null);
    setNotice(null);
    try {
      const created = await post<Webhook & { secret: string }>('/webhooks', {
        url,
        eventTypes: eventTypesOf(types),
        ...(description ? { description } : {}),
      });
      setSecret(created.secret);
      setUrl('');
      setTypes('license.*, machine.*');
      setDescription('');
      setNotice({ text: `Endpoint ${created.url} added.` });
      hooks.reload();
    } catch (e) {
      setCreateError(errorText(e));
    }
  };
  const change = async (run: () => Promise<unknown>, done: string) => {
    setNotice(null);
    try {
      await run();
      setNotice({ text: done });
      hooks.reload();
    } catch (e) {
      setNotice({ text: errorText(e), error: true });
    }
  };
  const test = async (hook: Webhook) => {
    setNotice(null);
    try {
      const delivery = await post<WebhookDelivery>(`/webhooks/${hook.id}/actions/test`);
      setNotice({
        text: `Test event sent to ${hook.url}: delivery #${delivery.id} is queued; its answer shows under its deliveries.`,
      });
      setOpen(hook.id);
      setGeneration((g) => g + 1);
    } catch (e) {
      setNotice({ text: `No test event was sent: ${errorText(e)}`, error: true });
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
          <FormFooter error={createError} label="Add endpoint" />
        </form>
      )}
      <NoticeNote notice={notice} />
      <Loaded state={hooks} rows={(d) => d.data} empty={<Empty title="No webhook endpoints" />}>
        {(rows) => (
          <ul className="cards single">
            {rows.map((hook) => (
              <li key={hook.id} className="card">
                <div className="card-head">
                  <h3 className="mono">{hook.url}</h3>
                  <span className={`badge ${hook.isEnabled ? 'badge-active' : 'badge-expired'}`}>
                    {hook.isEnabled ? 'enabled' : 'disabled'}
                  </span>
                </div>
                <p className="muted">
                  {hook.description ? `${hook.description} · ` : ''}
                  {hook.eventTypes.join(', ')}
                  {hook.productIds.length > 0
                    ? ` · ${hook.productIds.length} product${hook.productIds.length === 1 ? '' : 's'}`
                    : ''}
                  {hook.includeImportRecords ? ' · import records' : ''} · since {formatDate(hook.createdAt)}
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
                        disabled={!hook.isEnabled}
                        title={hook.isEnabled ? undefined : 'Enable the endpoint to send it a test event'}
                        aria-label={`Send a test event to ${hook.url}`}
                        onClick={() => test(hook)}
                      >
                        Send a test event
                      </button>
                      <button
                        type="button"
                        className="secondary small"
                        aria-label={`Edit endpoint ${hook.url}`}
                        onClick={() => setEditing(hook)}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        className="secondary small"
                        onClick={() =>
                          change(
                            () => patch(`/webhooks/${hook.id}`, { isEnabled: !hook.isEnabled }),
                            `Endpoint ${hook.url} ${hook.isEnabled ? 'disabled' : 'enabled'}.`,
                          )
                        }
                      >
                        {hook.isEnabled ? 'Disable' : 'Enable'}
                      </button>
                      <button
                        type="button"
                        className="danger small"
                        aria-label={`Delete endpoint ${hook.url}`}
                        onClick={() =>
                          window.confirm(`Delete the endpoint ${hook.url}? Its delivery log goes with it.`) &&
                          change(() => del(`/webhooks/${hook.id}`), `Endpoint ${hook.url} deleted.`)
                        }
                      >
                        Delete
                      </button>
                    </>
                  )}
                </div>
                {open === hook.id && <Deliveries key={generation} webhook={hook} />}
              </li>
            ))}
          </ul>
        )}
      </Loaded>
      <DialogFor title="Edit endpoint" item={editing} onClose={() => setEditing(null)}>
        {(webhook) => (
          <EditWebhook
            webhook={webhook}
            onSaved={(saved) => {
              setEditing(null);
              setNotice({ text: `Endpoint ${saved.url} saved.` });
              hooks.reload();
            }}
          />
        )}
      </DialogFor>
    </>
  );
}
