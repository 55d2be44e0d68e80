import { type FormEvent, useEffect, useState } from 'react';
import { type DomainEvent, get, type Page } from '../api';
import { DataTable } from '../data-table';
import { Loaded } from '../loaded';
import { Link, setQuery, useLocation } from '../router';
import { Empty, formatDate, PageHeader, useAsync } from '../ui';

const TYPES = [
  'license.created',
  'license.updated',
  'license.suspended',
  'license.reinstated',
  'license.revoked',
  'license.extended',
  'license.reset',
  'license.deleted',
  'license.validated',
  'license.validation_failed',
  'machine.activated',
  'machine.activation_refused',
  'machine.deactivated',
  'product.created',
  'policy.created',
  'customer.created',
  'token.created',
  'token.revoked',
  'user.signed_in',
];

function who(event: DomainEvent): string {
  const via = typeof event.data.via === 'string' ? event.data.via : '';
  if (via.startsWith('dashboard:')) return via.slice('dashboard:'.length);
  if (event.tokenId !== null) return `token #${event.tokenId}`;
  return via || '—';
}

export function EventTable({ events }: { events: readonly DomainEvent[] }) {
  return (
    <DataTable caption="Events, newest first" columns={['When', 'Event', 'Subject', 'By', 'IP']}>
      {events.map((e) => (
        <tr key={e.id}>
          <td>{formatDate(e.createdAt)}</td>
          <td>
            <code>{e.type}</code>
            {e.code && <span className="chip">{e.code}</span>}
          </td>
          <td>
            {e.licenseId !== null && <Link href={`/licenses/${e.licenseId}`}>license #{e.licenseId}</Link>}
            {e.machineId !== null && <span> · machine #{e.machineId}</span>}
            {e.licenseId === null && e.productId !== null && (
              <Link href={`/products/${e.productId}`}>product #{e.productId}</Link>
            )}
          </td>
          <td>{who(e)}</td>
          <td>{e.ip ?? '—'}</td>
        </tr>
      ))}
    </DataTable>
  );
}

export function EventsPage() {
  const { search } = useLocation();
  const filters = {
    type: search.get('type') ?? '',
    licenseId: search.get('licenseId') ?? '',
    key: search.get('key') ?? '',
    productId: search.get('productId') ?? '',
    since: search.get('since') ?? '',
    after: search.get('after') ?? '',
  };
  // How many newer events came before this page ("Older" counts them), so the pager can say "101–200".
  const from = filters.after ? Number(search.get('from') ?? 0) || 0 : 0;
  const [licenseText, setLicenseText] = useState(filters.licenseId || filters.key);
  useEffect(() => setLicenseText(filters.licenseId || filters.key), [filters.licenseId, filters.key]);
  const events = useAsync(
    () =>
      get<Page<DomainEvent>>('/events', {
        type: filters.type,
        licenseId: filters.licenseId,
        key: filters.key,
        productId: filters.productId,
        since: filters.since ? new Date(filters.since).toISOString() : '',
        after: filters.after,
        limit: 100,
      }),
    [search.toString()],
  );
  const apply = (event: FormEvent) => {
    event.preventDefault();
    // Digits are a license id, anything else its key (the server also takes it in lower case, without dashes).
    const text = licenseText.trim();
    const isId = /^[0-9]+$/.test(text);
    setQuery({ licenseId: isId ? text : null, key: isId ? null : text, after: null });
  };
  return (
    <>
      <PageHeader title="Events">
        The audit log: every change and every activation and validation outcome.
      </PageHeader>
      <form className="filters" onSubmit={apply} aria-label="Filter events">
        <div className="field">
          <label htmlFor="event-type">Type</label>
          <select
            id="event-type"
            value={filters.type}
            onChange={(e) => setQuery({ type: e.target.value, after: null })}
          >
            <option value="">all</option>
            {TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="event-license">License id or key</label>
          <div className="input-button">
            <input id="event-license" value={licenseText} onChange={(e) => setLicenseText(e.target.value)} />
            <button type="submit">Filter</button>
          </div>
        </div>
        <div className="field">
          <label htmlFor="event-since">Since</label>
          <input
            id="event-since"
            type="date"
            value={filters.since}
            onChange={(e) => setQuery({ since: e.target.value, after: null })}
          />
        </div>
        {(filters.type || filters.licenseId || filters.key || filters.productId || filters.since) && (
          <button
            type="button"
            className="secondary small"
            onClick={() =>
              setQuery({ type: null, licenseId: null, key: null, productId: null, since: null, after: null })
            }
          >
            Clear filters
          </button>
        )}
      </form>
      <Loaded
        state={events}
        rows={(d) => d.data}
        loadingLabel="Loading events…"
        empty={<Empty title="No events match">Try another type or a wider range.</Empty>}
      >
        {(rows, data) => (
          <>
            <EventTable events={rows} />
            <nav className="pager" aria-label="Pages">
              <button
                type="button"
                className="secondary"
                disabled={!filters.after}
                onClick={() => setQuery({ after: null, from: null }, false)}
              >
                Newest
              </button>
              <span className="muted" role="status">
                {eventRange(from, rows.length, data.nextCursor !== null)}
              </span>
              <button
                type="button"
                className="secondary"
                disabled={!data.nextCursor}
                onClick={() => setQuery({ after: data.nextCursor ?? null, from: from + rows.length }, false)}
              >
                Older
              </button>
            </nav>
          </>
        )}
      </Loaded>
    </>
  );
}

/**
 * "1–100 of 37" on a last page; otherwise "101–200 of many": the log grows with every validation, and counting
 * it is not worth a slower page (the license list counts, up to 10,000).
 */
function eventRange(from: number, shown: number, hasMore: boolean): string {
  const range = `${(from + 1).toLocaleString()}–${(from + shown).toLocaleString()}`;
  return hasMore ? `${range} of many` : `${range} of ${(from + shown).toLocaleString()}`;
}
