import { type FormEvent, useState } from 'react';
import {
  type DataObject,
  type DomainEvent,
  del,
  get,
  getAll,
  type License,
  type Machine,
  type Page,
  type Policy,
  patch,
  post,
} from '../api';
import { Link } from '../router';
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
  StatusBadge,
  useAsync,
} from '../ui';
import { EventTable } from './events';

function Machines({ licenseId, onChange }: { licenseId: number; onChange: () => void }) {
  const canManage = useCan('machines:write');
  const [showAll, setShowAll] = useState(false);
  const machines = useAsync(
    () => getAll<Machine>('/machines', { licenseId, includeDeactivated: showAll }),
    [licenseId, showAll],
  );
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const deactivate = async (machine: Machine) => {
    if (
      !window.confirm(
        `Deactivate ${machine.name ?? machine.fingerprint}? The app on it stops being licensed.`,
      )
    )
      return;
    setBusy(machine.id);
    setError(null);
    try {
      await del(`/machines/${machine.id}`);
      machines.reload();
      onChange();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <section className="card" aria-labelledby="machines-title">
      <div className="card-head">
        <h2 id="machines-title">Machines</h2>
        <label className="inline">
          <input type="checkbox" checked={showAll} onChange={(e) => setShowAll(e.target.checked)} /> Include
          deactivated
        </label>
      </div>
      {error && (
        <p className="note error" role="alert">
          {error}
        </p>
      )}
      {machines.error ? (
        <ErrorNote error={machines.error} onRetry={machines.reload} />
      ) : !machines.data ? (
        <Loading />
      ) : machines.data.length === 0 ? (
        <Empty title="No machines">
          The key has not been activated{showAll ? '' : ' on any machine right now'}.
        </Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Machines of this license</caption>
            <thead>
              <tr>
                <th scope="col">Machine</th>
                <th scope="col">Platform</th>
                <th scope="col">IP</th>
                <th scope="col">Activated</th>
                <th scope="col">Last seen</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {machines.data.map((m) => (
                <tr key={m.id}>
                  <td>
                    {m.name && <div>{m.name}</div>}
                    <code className="small">{m.fingerprint}</code>
                    {m.isVm && <span className="chip">VM</span>}
                  </td>
                  <td>{m.platform ?? '—'}</td>
                  <td>{m.ip ?? '—'}</td>
                  <td>{formatDate(m.createdAt)}</td>
                  <td>{formatDate(m.lastSeenAt)}</td>
                  <td>
                    {m.deactivatedAt ? (
                      <span className="muted">deactivated {formatDate(m.deactivatedAt)}</span>
                    ) : (
                      canManage && (
                        <button
                          type="button"
                          className="danger small"
                          disabled={busy === m.id}
                          onClick={() => deactivate(m)}
                          aria-label={`Deactivate machine ${m.name ?? m.fingerprint}`}
                        >
                          {busy === m.id ? 'Deactivating…' : 'Deactivate'}
                        </button>
                      )
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Notes({ license, onSaved }: { license: License; onSaved: (l: License) => void }) {
  const canWrite = useCan('licenses:write');
  const [notes, setNotes] = useState(license.notes ?? '');
  const [state, setState] = useState<string | null>(null);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setState('Saving…');
    try {
      onSaved(await patch<License>(`/licenses/${license.id}`, { notes: notes === '' ? null : notes }));
      setState('Saved.');
    } catch (e) {
      setState(errorText(e));
    }
  };
  return (
    <form className="card" onSubmit={save} aria-labelledby="notes-title">
      <h2 id="notes-title">Notes</h2>
      <Field label="Notes (visible to your staff only)">
        {(p) => (
          <textarea
            {...p}
            rows={3}
            maxLength={10_000}
            value={notes}
            readOnly={!canWrite}
            onChange={(e) => setNotes(e.target.value)}
          />
        )}
      </Field>
      {canWrite && (
        <div className="actions">
          <button type="submit" className="secondary" disabled={notes === (license.notes ?? '')}>
            Save notes
          </button>
          <span role="status" className="muted">
            {state}
          </span>
        </div>
      )}
    </form>
  );
}

function DataObjects({ licenseId }: { licenseId: number }) {
  const canWrite = useCan('data-objects:write');
  const objects = useAsync(
    () => get<{ data: DataObject[] }>('/data-objects', { ownerType: 'license', ownerId: licenseId }),
    [licenseId],
  );
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const add = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const isInt = /^-?\d+$/.test(value);
    try {
      await post('/data-objects', {
        ownerType: 'license',
        ownerId: licenseId,
        name,
        ...(isInt ? { intValue: Number(value) } : { stringValue: value }),
      });
      setName('');
      setValue('');
      objects.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <section className="card" aria-labelledby="data-title">
      <h2 id="data-title">Data objects</h2>
      {objects.error ? (
        <ErrorNote error={objects.error} onRetry={objects.reload} />
      ) : !objects.data ? (
        <Loading />
      ) : objects.data.data.length === 0 ? (
        <p className="muted">No data objects on this license.</p>
      ) : (
        <dl className="pairs">
          {objects.data.data.map((o) => (
            <div key={o.id}>
              <dt>{o.name}</dt>
              <dd>
                {o.intValue}
                {o.stringValue ? ` · “${o.stringValue}”` : ''}
              </dd>
            </div>
          ))}
        </dl>
      )}
      {canWrite && (
        <form className="inline-form" onSubmit={add} aria-label="Add a data object">
          <Field label="Name">
            {(p) => (
              <input {...p} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
            )}
          </Field>
          <Field label="Value" hint="A whole number or text">
            {(p) => <input {...p} value={value} onChange={(e) => setValue(e.target.value)} />}
          </Field>
          <button type="submit" className="secondary">
            Add
          </button>
          {error && (
            <p className="note error" role="alert">
              {error}
            </p>
          )}
        </form>
      )}
    </section>
  );
}

export function LicensePage({ id }: { id: number }) {
  const canWrite = useCan('licenses:write');
  const data = useAsync(async () => {
    const license = await get<License>(`/licenses/${id}`);
    const policy = await get<Policy>(`/policies/${license.policyId}`).catch(() => null);
    return { license, policy };
  }, [id]);
  const events = useAsync(() => get<Page<DomainEvent>>('/events', { licenseId: id, limit: 50 }), [id]);
  const [license, setLicense] = useState<License | null>(null);
  const [message, setMessage] = useState<{ text: string; error?: boolean } | null>(null);
  const [days, setDays] = useState(30);
  const [busy, setBusy] = useState(false);

  if (data.error) return <ErrorNote error={data.error} onRetry={data.reload} />;
  if (!data.data) return <Loading />;
  const current = license && license.id === id ? license : data.data.license;
  const { policy } = data.data;

  const act = async (label: string, run: () => Promise<License>, confirmText?: string) => {
    if (confirmText && !window.confirm(confirmText)) return;
    setBusy(true);
    setMessage(null);
    try {
      setLicense(await run());
      setMessage({ text: `${label}: done.` });
      events.reload();
    } catch (e) {
      setMessage({ text: `${label}: ${errorText(e)}`, error: true });
    } finally {
      setBusy(false);
    }
  };
  const action = (name: string) => () => post<License>(`/licenses/${id}/actions/${name}`);

  return (
    <>
      <p className="breadcrumb">
        <Link href="/licenses">Licenses</Link> /
      </p>
      <PageHeader title={current.key} actions={<CopyButton text={current.key} label="Copy key" />}>
        License #{current.id} · <StatusBadge status={current.status} />
      </PageHeader>
      {message && (
        <p
          className={`note ${message.error ? 'error' : 'success'}`}
          role={message.error ? 'alert' : 'status'}
        >
          {message.text}
        </p>
      )}
      <div className="columns">
        <section className="card" aria-labelledby="state-title">
          <h2 id="state-title">State</h2>
          <dl className="pairs">
            <div>
              <dt>Policy</dt>
              <dd>
                {policy ? (
                  <Link href={`/products/${policy.productId}`}>{policy.name}</Link>
                ) : (
                  `#${current.policyId}`
                )}
              </dd>
            </div>
            <div>
              <dt>Expires</dt>
              <dd>{current.expiresAt ? formatDate(current.expiresAt) : 'never'}</dd>
            </div>
            <div>
              <dt>Email</dt>
              <dd>{current.email ?? '—'}</dd>
            </div>
            <div>
              <dt>Customer</dt>
              <dd>{current.customerId ? `#${current.customerId}` : '—'}</dd>
            </div>
            <div>
              <dt>First activated</dt>
              <dd>{formatDate(current.firstActivatedAt)}</dd>
            </div>
            <div>
              <dt>Last validated</dt>
              <dd>{formatDate(current.lastValidatedAt)}</dd>
            </div>
            <div>
              <dt>Activations / deactivations / resets</dt>
              <dd>
                {current.activationCount} / {current.deactivationCount} / {current.resetCount}
              </dd>
            </div>
            <div>
              <dt>Tags</dt>
              <dd>{current.tags.length ? current.tags.join(', ') : '—'}</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>{formatDate(current.createdAt)}</dd>
            </div>
          </dl>
        </section>
        <section className="card" aria-labelledby="features-title">
          <h2 id="features-title">Features</h2>
          {Object.keys(current.features).length === 0 ? (
            <p className="muted">This license carries no feature values.</p>
          ) : (
            <dl className="pairs">
              {Object.entries(current.features).map(([name, value]) => (
                <div key={name}>
                  <dt>{name}</dt>
                  <dd>{typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value)}</dd>
                </div>
              ))}
            </dl>
          )}
          {canWrite && (
            <>
              <h3>Actions</h3>
              <div className="actions wrap">
                {current.isSuspended ? (
                  <button
                    type="button"
                    className="secondary"
                    disabled={busy}
                    onClick={() => act('Reinstate', action('reinstate'))}
                  >
                    Reinstate
                  </button>
                ) : (
                  <button
                    type="button"
                    className="secondary"
                    disabled={busy || current.status === 'revoked'}
                    onClick={() =>
                      act(
                        'Suspend',
                        action('suspend'),
                        'Suspend this license? Validations fail until it is reinstated.',
                      )
                    }
                  >
                    Suspend
                  </button>
                )}
                <button
                  type="button"
                  className="secondary"
                  disabled={busy}
                  onClick={() =>
                    act(
                      'Reset',
                      action('reset'),
                      'Reset this license? Every machine is deactivated and the counters start over.',
                    )
                  }
                >
                  Reset machines
                </button>
                <button
                  type="button"
                  className="danger"
                  disabled={busy || current.status === 'revoked'}
                  onClick={() =>
                    act('Revoke', action('revoke'), 'Revoke this license for good? This cannot be undone.')
                  }
                >
                  Revoke
                </button>
              </div>
              <form
                className="inline-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  act('Extend', () =>
                    post<License>(`/licenses/${id}/actions/extend`, { seconds: days * 86_400 }),
                  );
                }}
                aria-label="Extend the license"
              >
                <Field label="Extend by days">
                  {(p) => (
                    <input
                      {...p}
                      type="number"
                      min={1}
                      max={36500}
                      value={days}
                      onChange={(e) => setDays(Number(e.target.value))}
                    />
                  )}
                </Field>
                <button type="submit" className="secondary" disabled={busy}>
                  Extend
                </button>
              </form>
            </>
          )}
        </section>
      </div>
      <Machines
        licenseId={id}
        onChange={() => {
          data.reload();
          events.reload();
        }}
      />
      <div className="columns">
        <Notes key={current.updatedAt} license={current} onSaved={setLicense} />
        <DataObjects licenseId={id} />
      </div>
      <section className="card" aria-labelledby="history-title">
        <h2 id="history-title">Event history</h2>
        {events.error ? (
          <ErrorNote error={events.error} onRetry={events.reload} />
        ) : !events.data ? (
          <Loading />
        ) : events.data.data.length === 0 ? (
          <p className="muted">Nothing has happened to this license yet.</p>
        ) : (
          <>
            <EventTable events={events.data.data} />
            <Link href={`/events?licenseId=${id}`}>All events of this license</Link>
          </>
        )}
      </section>
    </>
  );
}
