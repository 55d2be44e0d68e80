import { type FormEvent, useState } from 'react';
import {
  ApiError,
  api,
  type EmailKind,
  type EmailMessage,
  type EmailSettings,
  type EmailStatus,
  type EmailTemplate,
  type EmailTemplateList,
  type EmailTestResult,
  get,
  getAll,
  type Page,
  type Product,
  post,
} from '../api';
import { DataTable } from '../data-table';
import { FeedbackNote, useFeedback } from '../feedback';
import { SubmitRow } from '../form-footer';
import { Loaded } from '../loaded';
import { ProductPicker } from '../product-picker';
import { useCan } from '../session';
import { Empty, ErrorNote, Field, formatDate, Loading, PageHeader, useAsync } from '../ui';

/** The kinds in the order a customer meets them, with what each is for. */
const KINDS: Array<{ kind: EmailKind; label: string }> = [
  { kind: 'license_delivered', label: 'License delivered' },
  { kind: 'license_renewed', label: 'License renewed' },
  { kind: 'license_expiring_soon', label: 'License expiring soon' },
  { kind: 'license_expired', label: 'License expired' },
  { kind: 'portal_sign_in', label: 'Portal sign-in link' },
  { kind: 'test', label: 'Test email' },
];
const labelOf = (kind: string) => KINDS.find((k) => k.kind === kind)?.label ?? kind;
const SOURCE_TEXT: Record<EmailTemplate['source'], string> = {
  product: "this product's own",
  account: "the account's default",
  'built-in': 'built in',
};

/** GET /v1/email/settings answers 404 until email is set up: no settings yet, not a failure. */
async function loadSettings(): Promise<EmailSettings | null> {
  try {
    return await get<EmailSettings>('/email/settings');
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

function SettingsForm({
  settings,
  onSaved,
}: {
  settings: EmailSettings | null;
  onSaved: (saved: EmailSettings) => void;
}) {
  const canWrite = useCan('email:write');
  const [host, setHost] = useState(settings?.host ?? '');
  const [port, setPort] = useState(String(settings?.port ?? 587));
  const [security, setSecurity] = useState<EmailSettings['security']>(settings?.security ?? 'starttls');
  const [username, setUsername] = useState(settings?.username ?? '');
  const [password, setPassword] = useState('');
  const [fromName, setFromName] = useState(settings?.fromName ?? '');
  const [fromAddress, setFromAddress] = useState(settings?.fromAddress ?? '');
  const [replyTo, setReplyTo] = useState(settings?.replyTo ?? '');
  const [enabled, setEnabled] = useState<EmailKind[]>(settings?.enabledKinds ?? KINDS.map((k) => k.kind));
  const feedback = useFeedback();
  const toggle = (kind: EmailKind) =>
    setEnabled((kinds) => (kinds.includes(kind) ? kinds.filter((k) => k !== kind) : [...kinds, kind]));
  const save = async (event: FormEvent) => {
    event.preventDefault();
    let saved: EmailSettings | null = null;
    await feedback.run(async () => {
      saved = await api<EmailSettings>('PUT', '/email/settings', {
        host,
        port: Number(port),
        security,
        username: username.trim() === '' ? null : username,
        // Left empty, the saved password is kept.
        ...(password === '' ? {} : { password }),
        fromName,
        fromAddress,
        replyTo: replyTo.trim() === '' ? null : replyTo,
        enabledKinds: enabled,
      });
    }, 'Email settings saved.');
    if (saved) {
      setPassword('');
      onSaved(saved);
    }
  };
  return (
    <form className="card stack" onSubmit={save} aria-labelledby="smtp-settings">
      <h2 id="smtp-settings">SMTP settings</h2>
      {!settings && (
        <p className="muted">Email is not set up yet: messages wait in the outbox until it is.</p>
      )}
      <fieldset disabled={!canWrite} className="stack">
        <Field label="SMTP host" hint="e.g. smtp.example.com">
          {(p) => <input {...p} required value={host} onChange={(e) => setHost(e.target.value)} />}
        </Field>
        <Field label="Port">
          {(p) => (
            <input
              {...p}
              type="number"
              min={1}
              max={65535}
              required
              value={port}
              onChange={(e) => setPort(e.target.value)}
            />
          )}
        </Field>
        <Field label="Security">
          {(p) => (
            <select
              {...p}
              value={security}
              onChange={(e) => setSecurity(e.target.value as EmailSettings['security'])}
            >
              <option value="starttls">STARTTLS (port 587)</option>
              <option value="tls">TLS (port 465)</option>
              <option value="none">None (plain text)</option>
            </select>
          )}
        </Field>
        <Field label="Username (optional)">
          {(p) => (
            <input {...p} autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />
          )}
        </Field>
        <Field
          label="Password"
          hint={settings?.hasPassword ? 'A password is saved; leave this empty to keep it.' : 'None saved.'}
        >
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <Field label="Sender name">
          {(p) => <input {...p} required value={fromName} onChange={(e) => setFromName(e.target.value)} />}
        </Field>
        <Field label="Sender address">
          {(p) => (
            <input
              {...p}
              type="email"
              required
              value={fromAddress}
              onChange={(e) => setFromAddress(e.target.value)}
            />
          )}
        </Field>
        <Field label="Reply-to (optional)">
          {(p) => <input {...p} type="email" value={replyTo} onChange={(e) => setReplyTo(e.target.value)} />}
        </Field>
        <fieldset className="checks">
          <legend>Messages sent</legend>
          {KINDS.filter((k) => k.kind !== 'test').map(({ kind, label }) => (
            <label key={kind}>
              <input type="checkbox" checked={enabled.includes(kind)} onChange={() => toggle(kind)} /> {label}
            </label>
          ))}
          <small className="muted">Messages of a kind left out are marked failed as disabled.</small>
        </fieldset>
        {canWrite && <SubmitRow label="Save settings" />}
      </fieldset>
      <FeedbackNote feedback={feedback.feedback} />
    </form>
  );
}

function TestEmail({ products }: { products: Product[] }) {
  const [to, setTo] = useState('');
  const [productId, setProductId] = useState('');
  const [busy, setBusy] = useState(false);
  const feedback = useFeedback();
  const send = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    feedback.clear();
    try {
      const result = await post<EmailTestResult>('/email/test', {
        to,
        ...(productId ? { productId: Number(productId) } : {}),
      });
      if (result.isSent) feedback.succeeded(`Test email sent to ${to}.`);
      else feedback.failed(new Error(`The test email was not sent: ${result.error ?? 'no reason given'}`));
    } catch (error) {
      feedback.failed(error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card stack" onSubmit={send} aria-labelledby="test-email">
      <h2 id="test-email">Send a test email</h2>
      <Field label="To">
        {(p) => <input {...p} type="email" required value={to} onChange={(e) => setTo(e.target.value)} />}
      </Field>
      <ProductPicker
        label="Template of"
        noneLabel="The account"
        products={products}
        value={productId}
        onChange={setProductId}
      />
      <SubmitRow label="Send a test email" busy={busy} busyLabel="Sending…" />
      <FeedbackNote feedback={feedback.feedback} />
    </form>
  );
}

/** Its note lives with the section: a save reloads the template, which starts the editor afresh. */
function TemplateEditor({
  template,
  onChanged,
  feedback,
}: {
  template: EmailTemplate;
  onChanged: () => void;
  feedback: ReturnType<typeof useFeedback>;
}) {
  const canWrite = useCan('email:write');
  const [fromName, setFromName] = useState(template.fromName ?? '');
  const [fromAddress, setFromAddress] = useState(template.fromAddress ?? '');
  const [subject, setSubject] = useState(template.subject);
  const [textBody, setTextBody] = useState(template.textBody);
  const [htmlBody, setHtmlBody] = useState(template.htmlBody);
  const path = `/email/templates/${template.kind}${template.productId ? `?productId=${template.productId}` : ''}`;
  const owner = template.productId ? 'this product' : 'the account';
  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (
      await feedback.run(
        () =>
          api('PUT', path, {
            fromName: fromName.trim() === '' ? null : fromName,
            fromAddress: fromAddress.trim() === '' ? null : fromAddress,
            subject,
            textBody,
            htmlBody,
          }),
        `Template “${labelOf(template.kind)}” saved for ${owner}.`,
      )
    )
      onChanged();
  };
  const reset = async () => {
    if (await feedback.run(() => api('DELETE', path), `Template “${labelOf(template.kind)}” reset.`))
      onChanged();
  };
  return (
    <form className="stack" onSubmit={save} aria-label={`Template ${labelOf(template.kind)}`}>
      <p className="muted">
        In use: {SOURCE_TEXT[template.source]}. Variables:{' '}
        {template.variables.length > 0 ? template.variables.map((v) => `{{${v}}}`).join(', ') : 'none'}. Use{' '}
        <code>{'{{#name}}…{{/name}}'}</code> for a part shown only when the value is not empty.
      </p>
      <fieldset disabled={!canWrite} className="stack">
        <Field label="Sender name (optional)" hint="Empty: the sender of the settings">
          {(p) => <input {...p} value={fromName} onChange={(e) => setFromName(e.target.value)} />}
        </Field>
        <Field label="Sender address (optional)">
          {(p) => (
            <input {...p} type="email" value={fromAddress} onChange={(e) => setFromAddress(e.target.value)} />
          )}
        </Field>
        <Field label="Subject">
          {(p) => <input {...p} required value={subject} onChange={(e) => setSubject(e.target.value)} />}
        </Field>
        <Field label="Text body">
          {(p) => <textarea {...p} rows={8} value={textBody} onChange={(e) => setTextBody(e.target.value)} />}
        </Field>
        <Field label="HTML body" hint="Values are HTML-escaped">
          {(p) => <textarea {...p} rows={8} value={htmlBody} onChange={(e) => setHtmlBody(e.target.value)} />}
        </Field>
        {canWrite && (
          <div className="actions">
            <button type="submit">Save template</button>
            <button
              type="button"
              className="secondary"
              disabled={
                template.source === 'built-in' ||
                (template.productId !== null && template.source !== 'product')
              }
              onClick={reset}
            >
              Reset to default
            </button>
          </div>
        )}
      </fieldset>
    </form>
  );
}

function Templates({ products }: { products: Product[] }) {
  const [productId, setProductId] = useState('');
  const [kind, setKind] = useState<EmailKind>('license_delivered');
  const list = useAsync(
    () => get<EmailTemplateList>('/email/templates', productId ? { productId } : {}),
    [productId],
  );
  const template = list.data?.data.find((t) => t.kind === kind);
  const feedback = useFeedback();
  const choose = (change: () => void) => {
    feedback.clear();
    change();
  };
  return (
    <section className="card stack" aria-labelledby="email-templates">
      <h2 id="email-templates">Templates</h2>
      <div className="actions wrap">
        <ProductPicker
          label="Templates of"
          noneLabel="The account (default for every product)"
          products={products}
          value={productId}
          onChange={(id) => choose(() => setProductId(id))}
        />
        <Field label="Message">
          {(p) => (
            <select {...p} value={kind} onChange={(e) => choose(() => setKind(e.target.value as EmailKind))}>
              {KINDS.map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {list.error ? (
        <ErrorNote error={list.error} onRetry={list.reload} />
      ) : !template ? (
        <Loading />
      ) : (
        <TemplateEditor
          key={`${productId}-${kind}-${template.source}-${template.updatedAt}`}
          template={template}
          onChanged={list.reload}
          feedback={feedback}
        />
      )}
      <FeedbackNote feedback={feedback.feedback} />
    </section>
  );
}

function Outbox() {
  const canWrite = useCan('email:write');
  const [status, setStatus] = useState<EmailStatus | ''>('');
  const list = useAsync(() => get<Page<EmailMessage>>('/email/messages', { status, limit: 50 }), [status]);
  const feedback = useFeedback();
  const retry = async (message: EmailMessage) => {
    if (
      await feedback.run(
        () => post(`/email/messages/${message.id}/retry`),
        `Message #${message.id} to ${message.to} will be sent again now.`,
      )
    )
      list.reload();
  };
  return (
    <section className="card stack" aria-labelledby="email-outbox">
      <h2 id="email-outbox">Outbox</h2>
      <div className="actions wrap">
        <Field label="Status">
          {(p) => (
            <select {...p} value={status} onChange={(e) => setStatus(e.target.value as EmailStatus | '')}>
              <option value="">Any</option>
              <option value="pending">Pending</option>
              <option value="sent">Sent</option>
              <option value="failed">Failed</option>
            </select>
          )}
        </Field>
        <button type="button" className="link" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <FeedbackNote feedback={feedback.feedback} />
      <Loaded state={list} rows={(d) => d.data} empty={<Empty title="No messages" />}>
        {(rows) => (
          <DataTable
            caption="Email messages, newest first"
            columns={[
              'Created',
              'Message',
              'To',
              'Subject',
              'Status',
              { label: 'Attempts', numeric: true },
              'Last error',
              { label: 'Actions', hidden: true },
            ]}
          >
            {rows.map((m) => (
              <tr key={m.id}>
                <td>{formatDate(m.createdAt)}</td>
                <td>{labelOf(m.kind)}</td>
                <td>{m.to}</td>
                <td>{m.subject ?? '—'}</td>
                <td>
                  {m.status}
                  {m.status === 'pending' && m.nextAttemptAt ? ` (next ${formatDate(m.nextAttemptAt)})` : ''}
                </td>
                <td className="num">{m.attemptCount}</td>
                <td>{m.lastError ?? '—'}</td>
                <td>
                  {canWrite && m.status !== 'sent' && (
                    <button
                      type="button"
                      className="secondary small"
                      aria-label={`Retry message ${m.id} to ${m.to}`}
                      onClick={() => retry(m)}
                    >
                      Retry
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Loaded>
    </section>
  );
}

export function EmailPage() {
  const canWrite = useCan('email:write');
  const settings = useAsync(loadSettings, []);
  const products = useAsync(() => getAll<Product>('/products'), []);
  // What the last save answered: the form stays as it is (with its note), the rest of the page follows.
  const [saved, setSaved] = useState<EmailSettings | null>(null);
  const current = saved ?? settings.data;
  return (
    <>
      <PageHeader title="Email">
        How licenses, renewals, expiry notices and portal sign-in links reach your customers.
      </PageHeader>
      {settings.error ? (
        <ErrorNote error={settings.error} onRetry={settings.reload} />
      ) : settings.data === undefined ? (
        <Loading />
      ) : (
        <SettingsForm settings={current ?? null} onSaved={setSaved} />
      )}
      {canWrite && current && <TestEmail products={products.data ?? []} />}
      <Templates products={products.data ?? []} />
      <Outbox />
    </>
  );
}
