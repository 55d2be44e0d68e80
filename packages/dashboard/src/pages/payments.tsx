import { type FormEvent, useState } from 'react';
import {
  del,
  get,
  getAll,
  type Page,
  type PaymentConnection,
  type PaymentEvent,
  type PaymentItemMapping,
  type Policy,
  patch,
  post,
} from '../api';
import { DataTable } from '../data-table';
import { type Notice, NoticeNote } from '../feedback';
import { FormError, FormFooter } from '../form-footer';
import { Loaded } from '../loaded';
import { Link } from '../router';
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

type Provider = PaymentConnection['provider'];
const PROVIDERS: Array<{ value: Provider; label: string; secretHint: string; itemLabel: string }> = [
  {
    value: 'stripe',
    label: 'Stripe',
    secretHint: 'The endpoint’s signing secret (whsec_…), under Developers › Webhooks',
    itemLabel: 'Price id (price_…)',
  },
  {
    value: 'paddle',
    label: 'Paddle Billing',
    secretHint: 'The notification destination’s secret key, under Developer tools › Notifications',
    itemLabel: 'Price id (pri_…)',
  },
  {
    value: 'lemonsqueezy',
    label: 'Lemon Squeezy',
    secretHint: 'The signing secret you chose for the webhook, under Settings › Webhooks',
    itemLabel: 'Variant id',
  },
];
const providerOf = (value: Provider) => PROVIDERS.find((p) => p.value === value) ?? PROVIDERS[0];

/** The URL to paste into the provider: this server's address, as the browser reaches it, and the connection's path. */
const webhookUrlOf = (connection: PaymentConnection) => `${window.location.origin}${connection.webhookPath}`;

/** Which policy each sold price or variant issues, and how many seats a unit buys. */
function EditMappings({
  connection,
  policies,
  onSaved,
}: {
  connection: PaymentConnection;
  policies: Policy[];
  onSaved: (saved: PaymentConnection) => void;
}) {
  const [rows, setRows] = useState<PaymentItemMapping[]>(connection.mappings);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const first = policies[0];
  const set = (index: number, change: Partial<PaymentItemMapping>) =>
    setRows((all) => all.map((row, i) => (i === index ? { ...row, ...change } : row)));
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      onSaved(
        await patch<PaymentConnection>(`/payment-connections/${connection.id}`, {
          mappings: rows.map((r) => ({ ...r, providerItemId: r.providerItemId.trim() })),
        }),
      );
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  const itemLabel = providerOf(connection.provider)?.itemLabel ?? 'Item id';
  return (
    <form className="stack" onSubmit={save} aria-label="Edit the mapping">
      {rows.length === 0 && (
        <p className="muted">No item is mapped yet: purchases are recorded and ignored.</p>
      )}
      {rows.map((row, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place; the index is their identity.
        <fieldset key={index} className="mapping-row">
          <legend>Item {index + 1}</legend>
          <Field label={itemLabel}>
            {(p) => (
              <input
                {...p}
                required
                maxLength={200}
                value={row.providerItemId}
                onChange={(e) => set(index, { providerItemId: e.target.value })}
              />
            )}
          </Field>
          <Field label="Policy">
            {(p) => (
              <select
                {...p}
                value={row.policyId}
                onChange={(e) => set(index, { policyId: Number(e.target.value) })}
              >
                {policies.map((policy) => (
                  <option key={policy.id} value={policy.id}>
                    {policy.name} (#{policy.id})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Seats per unit" hint="Max machines = quantity bought × seats per unit">
            {(p) => (
              <input
                {...p}
                type="number"
                min={1}
                max={100000}
                required
                value={row.seatsPerUnit}
                onChange={(e) => set(index, { seatsPerUnit: Number(e.target.value) })}
              />
            )}
          </Field>
          <button
            type="button"
            className="secondary small"
            onClick={() => setRows((all) => all.filter((_, i) => i !== index))}
          >
            Remove item {index + 1}
          </button>
        </fieldset>
      ))}
      <FormError error={error} />
      <div className="actions wrap">
        <button
          type="button"
          className="secondary"
          disabled={!first}
          title={first ? undefined : 'Create a policy first'}
          onClick={() =>
            first && setRows((all) => [...all, { providerItemId: '', policyId: first.id, seatsPerUnit: 1 }])
          }
        >
          Add an item
        </button>
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save mapping'}
        </button>
      </div>
    </form>
  );
}

/**
 * Sets the signing secret the provider shows once the endpoint exists at the connection's URL, or replaces it
 * after a rotation. It cannot be removed: a connection without one refuses every delivery.
 */
function EditSecret({
  connection,
  onSaved,
}: {
  connection: PaymentConnection;
  onSaved: (saved: PaymentConnection) => void;
}) {
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      onSaved(
        await patch<PaymentConnection>(`/payment-connections/${connection.id}`, {
          webhookSecret: secret.trim(),
        }),
      );
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  return (
    <form className="stack" onSubmit={save} aria-label="Set the webhook secret">
      <p>
        Endpoint URL at {providerOf(connection.provider)?.label}:{' '}
        <code className="mono">{webhookUrlOf(connection)}</code>
      </p>
      <Field label="Webhook signing secret" hint={providerOf(connection.provider)?.secretHint}>
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="off"
            required
            minLength={8}
            maxLength={500}
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
          />
        )}
      </Field>
      <FormFooter error={error} busy={busy} label="Save secret" />
    </form>
  );
}

/** The connection's latest events: what the provider sent and what each did. */
function Events({ connection }: { connection: PaymentConnection }) {
  const list = useAsync(
    () => get<Page<PaymentEvent>>(`/payment-connections/${connection.id}/events`, { limit: 25 }),
    [connection.id],
  );
  if (list.error) return <ErrorNote error={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading />;
  const refresh = (
    <button type="button" className="link" onClick={list.reload}>
      Refresh events
    </button>
  );
  if (list.data.data.length === 0)
    return (
      <>
        {refresh}
        <p className="muted">No events yet: they appear here as the provider sends them.</p>
      </>
    );
  return (
    <>
      {refresh}
      <DataTable
        caption={`Latest events of ${connection.name}`}
        columns={['Event', 'Status', 'What it did', 'Licenses', 'Received']}
      >
        {list.data.data.map((e) => (
          <tr key={e.id}>
            <td>
              <code>{e.providerEventType}</code>
              <br />
              <small className="muted mono">{e.providerEventId}</small>
            </td>
            <td>
              <span className={`badge badge-payment-${e.status}`}>{e.status}</span>
            </td>
            <td>{e.status === 'failed' ? (e.error ?? 'failed') : (e.outcome ?? '—')}</td>
            <td>
              {e.licenseIds.length === 0
                ? '—'
                : e.licenseIds.map((id, i) => (
                    <span key={id}>
                      {i > 0 && ', '}
                      <Link href={`/licenses/${id}`}>#{id}</Link>
                    </span>
                  ))}
            </td>
            <td>{formatDate(e.receivedAt)}</td>
          </tr>
        ))}
      </DataTable>
    </>
  );
}

function Connect({ onConnected }: { onConnected: (connection: PaymentConnection) => void }) {
  const [provider, setProvider] = useState<Provider>('stripe');
  const [name, setName] = useState('');
  const [webhookSecret, setWebhookSecret] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [refundAction, setRefundAction] = useState<PaymentConnection['refundAction']>('suspend');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const created = await post<PaymentConnection>('/payment-connections', {
        provider,
        name,
        // Often not known yet: the provider shows it once the endpoint exists at the URL answered here.
        ...(webhookSecret.trim() ? { webhookSecret: webhookSecret.trim() } : {}),
        ...(apiKey.trim() ? { apiKey: apiKey.trim() } : {}),
        refundAction,
      });
      setName('');
      setWebhookSecret('');
      setApiKey('');
      onConnected(created);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="connect-provider">
      <h2 id="connect-provider">Connect a payment provider</h2>
      <Field label="Provider">
        {(p) => (
          <select {...p} value={provider} onChange={(e) => setProvider(e.target.value as Provider)}>
            {PROVIDERS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Name" hint="For you: e.g. Stripe (live)">
        {(p) => (
          <input {...p} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        )}
      </Field>
      <Field
        label="Webhook signing secret (optional)"
        hint={`${providerOf(provider)?.secretHint}. Not there yet? Create the endpoint at the provider with the URL shown after connecting, then paste its signing secret here.`}
      >
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="off"
            minLength={8}
            maxLength={500}
            value={webhookSecret}
            onChange={(e) => setWebhookSecret(e.target.value)}
          />
        )}
      </Field>
      {provider === 'stripe' && (
        <Field
          label="Restricted API key (optional)"
          hint="rk_… with read access to Checkout Sessions, so purchases name their prices"
        >
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="off"
              maxLength={500}
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
            />
          )}
        </Field>
      )}
      <Field label="On a refund or chargeback">
        {(p) => (
          <select
            {...p}
            value={refundAction}
            onChange={(e) => setRefundAction(e.target.value as PaymentConnection['refundAction'])}
          >
            <option value="suspend">Suspend the licenses (can be undone)</option>
            <option value="revoke">Revoke the licenses (final)</option>
          </select>
        )}
      </Field>
      <FormFooter error={error} label="Connect" />
    </form>
  );
}

export function PaymentsPage() {
  const canWrite = useCan('payments:write');
  const connections = useAsync(
    () => get<Page<PaymentConnection>>('/payment-connections', { limit: 1000 }),
    [],
  );
  const policies = useAsync(() => getAll<Policy>('/policies'), []);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [mapping, setMapping] = useState<PaymentConnection | null>(null);
  const [secretOf, setSecretOf] = useState<PaymentConnection | null>(null);

  const change = async (run: () => Promise<unknown>, done: string) => {
    setNotice(null);
    try {
      await run();
      setNotice({ text: done });
      connections.reload();
    } catch (e) {
      setNotice({ text: errorText(e), error: true });
    }
  };
  const policyName = (id: number) => policies.data?.find((p) => p.id === id)?.name ?? `policy #${id}`;

  return (
    <>
      <PageHeader title="Payments">
        Purchases at your payment provider become licenses in your customers’ inboxes; renewals, cancellations
        and refunds follow.
      </PageHeader>
      {canWrite && (
        <Connect
          onConnected={(created) => {
            const label = providerOf(created.provider)?.label;
            setNotice({
              text: created.hasWebhookSecret
                ? `${created.name} connected. Paste its webhook URL into ${label}.`
                : `${created.name} connected. Create the endpoint at ${label} with its webhook URL, then set the signing secret ${label} shows.`,
            });
            setOpen(created.id);
            connections.reload();
          }}
        />
      )}
      <NoticeNote notice={notice} />
      <Loaded
        state={connections}
        rows={(d) => d.data}
        empty={<Empty title="No payment provider connected" />}
      >
        {(rows) => (
          <ul className="cards single">
            {rows.map((connection) => (
              <li key={connection.id} className="card" aria-label={`Connection ${connection.name}`}>
                <div className="card-head">
                  <h3>{connection.name}</h3>
                  <span className="badge">{providerOf(connection.provider)?.label}</span>
                </div>
                <p>
                  Webhook URL: <code className="mono">{webhookUrlOf(connection)}</code>{' '}
                  <CopyButton text={webhookUrlOf(connection)} label="Copy webhook URL" />
                </p>
                {!connection.hasWebhookSecret && (
                  <p className="note warning" role="note" aria-label={`Webhook secret of ${connection.name}`}>
                    <strong>Webhook secret: not set.</strong> Deliveries are refused until it is (the provider
                    retries them): create the endpoint at {providerOf(connection.provider)?.label} with the
                    URL above, then set the signing secret it shows.
                  </p>
                )}
                <p className="muted">
                  {connection.hasWebhookSecret ? `Secret ${connection.webhookSecretHint}` : 'No secret'}
                  {connection.hasApiKey ? ` · API key ${connection.apiKeyHint}` : ''} · refunds{' '}
                  {connection.refundAction === 'revoke' ? 'revoke' : 'suspend'} · since{' '}
                  {formatDate(connection.createdAt)}
                </p>
                {connection.mappings.length === 0 ? (
                  <p className="muted">No item mapped yet.</p>
                ) : (
                  <ul className="mapping-list" aria-label={`Mapping of ${connection.name}`}>
                    {connection.mappings.map((m) => (
                      <li key={m.providerItemId}>
                        <code>{m.providerItemId}</code> → {policyName(m.policyId)}, {m.seatsPerUnit} seat
                        {m.seatsPerUnit === 1 ? '' : 's'} per unit
                      </li>
                    ))}
                  </ul>
                )}
                <div className="actions wrap">
                  <button
                    type="button"
                    className="secondary small"
                    aria-expanded={open === connection.id}
                    onClick={() => setOpen(open === connection.id ? null : connection.id)}
                  >
                    {open === connection.id ? 'Hide events' : 'Show events'}
                  </button>
                  {canWrite && (
                    <>
                      <button
                        type="button"
                        className={connection.hasWebhookSecret ? 'secondary small' : 'small'}
                        aria-label={`${connection.hasWebhookSecret ? 'Replace' : 'Set'} the webhook secret of ${connection.name}`}
                        onClick={() => setSecretOf(connection)}
                      >
                        {connection.hasWebhookSecret ? 'Replace secret' : 'Set webhook secret'}
                      </button>
                      <button
                        type="button"
                        className="secondary small"
                        aria-label={`Edit the mapping of ${connection.name}`}
                        onClick={() => setMapping(connection)}
                      >
                        Edit mapping
                      </button>
                      <button
                        type="button"
                        className="danger small"
                        aria-label={`Disconnect ${connection.name}`}
                        onClick={() =>
                          window.confirm(
                            `Disconnect ${connection.name}? Its events and purchases are deleted; the licenses stay.`,
                          ) &&
                          change(
                            () => del(`/payment-connections/${connection.id}`),
                            `${connection.name} disconnected.`,
                          )
                        }
                      >
                        Disconnect
                      </button>
                    </>
                  )}
                </div>
                {open === connection.id && <Events connection={connection} />}
              </li>
            ))}
          </ul>
        )}
      </Loaded>
      <DialogFor title="Webhook secret" item={secretOf} onClose={() => setSecretOf(null)}>
        {(connection) => (
          <EditSecret
            connection={connection}
            onSaved={(saved) => {
              setSecretOf(null);
              setNotice({ text: `Webhook secret of ${saved.name} saved.` });
              connections.reload();
            }}
          />
        )}
      </DialogFor>
      <DialogFor title="Edit mapping" item={mapping} onClose={() => setMapping(null)}>
        {(connection) =>
          policies.data ? (
            <EditMappings
              connection={connection}
              policies={policies.data}
              onSaved={(saved) => {
                setMapping(null);
                setNotice({ text: `Mapping of ${saved.name} saved.` });
                connections.reload();
              }}
            />
          ) : (
            <Loading />
          )
        }
      </DialogFor>
    </>
  );
}
