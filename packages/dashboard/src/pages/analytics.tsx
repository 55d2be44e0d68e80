import { type FormEvent, useEffect, useState } from 'react';
import { type AnalyticsEvent, get, getAll, type Page, type Product } from '../api';
import { DataTable } from '../data-table';
import { Loaded } from '../loaded';
import { Link, setQuery, useLocation } from '../router';
import { Empty, formatDate, formatNumber, PageHeader, useAsync } from '../ui';

/** An event an app registered (Cryptolens' ai/RegisterEvent), as GET /v1/analytics-events shows it. */
/** Feature-usage analytics: read-only, newest first, filtered by product, feature and event. */
export function AnalyticsPage() {
  const { search } = useLocation();
  const filters = {
    productId: search.get('productId') ?? '',
    featureName: search.get('featureName') ?? '',
    eventName: search.get('eventName') ?? '',
    after: search.get('after') ?? '',
  };
  const [feature, setFeature] = useState(filters.featureName);
  const [eventName, setEventName] = useState(filters.eventName);
  useEffect(() => setFeature(filters.featureName), [filters.featureName]);
  useEffect(() => setEventName(filters.eventName), [filters.eventName]);
  const products = useAsync(() => getAll<Product>('/products'), []);
  const events = useAsync(
    () =>
      get<Page<AnalyticsEvent>>('/analytics-events', {
        productId: filters.productId,
        featureName: filters.featureName,
        eventName: filters.eventName,
        after: filters.after,
        limit: 100,
      }),
    [search.toString()],
  );
  const productName = (id: number | null) =>
    id === null ? '—' : (products.data?.find((p) => p.id === id)?.name ?? `product #${id}`);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setQuery({ featureName: feature.trim(), eventName: eventName.trim(), after: null });
  };
  const filtered = filters.productId || filters.featureName || filters.eventName;

  return (
    <>
      <PageHeader title="Analytics">
        What apps report about their own use (Cryptolens’ RegisterEvent): features started, purchases made.
      </PageHeader>
      <form className="filters" onSubmit={apply} aria-label="Filter analytics events">
        <div className="field">
          <label htmlFor="analytics-product">Product</label>
          <select
            id="analytics-product"
            value={filters.productId}
            onChange={(e) => setQuery({ productId: e.target.value, after: null })}
          >
            <option value="">all</option>
            {(products.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="analytics-feature">Feature</label>
          <input
            id="analytics-feature"
            maxLength={100}
            value={feature}
            onChange={(e) => setFeature(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="analytics-event">Event</label>
          <div className="input-button">
            <input
              id="analytics-event"
              maxLength={100}
              value={eventName}
              onChange={(e) => setEventName(e.target.value)}
            />
            <button type="submit">Filter</button>
          </div>
        </div>
        {filtered && (
          <button
            type="button"
            className="secondary small"
            onClick={() => setQuery({ productId: null, featureName: null, eventName: null, after: null })}
          >
            Clear filters
          </button>
        )}
      </form>
      <Loaded
        state={events}
        rows={(d) => d.data}
        loadingLabel="Loading events…"
        empty={
          <Empty title={filtered ? 'No events match' : 'No events yet'}>
            Apps register events with Cryptolens’ <code>ai/RegisterEvent</code> at{' '}
            <code>/cryptolens/api/ai/RegisterEvent</code>.
          </Empty>
        }
      >
        {(rows, data) => (
          <>
            <DataTable
              caption="Analytics events, newest first"
              columns={['When', 'Product', 'Feature', 'Event', 'Value', 'License', 'Machine', 'Metadata']}
            >
              {rows.map((e) => (
                <tr key={e.id}>
                  <td>{formatDate(e.createdAt)}</td>
                  <td>
                    {e.productId === null ? (
                      '—'
                    ) : (
                      <Link href={`/products/${e.productId}`}>{productName(e.productId)}</Link>
                    )}
                  </td>
                  <td>{e.featureName ?? '—'}</td>
                  <td>{e.eventName ?? '—'}</td>
                  <td>
                    {e.value === 0 && !e.currency
                      ? '—'
                      : `${formatNumber(e.value)}${e.currency ? ` ${e.currency}` : ''}`}
                  </td>
                  <td>
                    {e.licenseId === null ? (
                      '—'
                    ) : (
                      <Link href={`/licenses/${e.licenseId}`}>
                        <code>{e.key ?? `license #${e.licenseId}`}</code>
                      </Link>
                    )}
                  </td>
                  <td>{e.machineCode ? <code>{e.machineCode}</code> : '—'}</td>
                  <td>{e.metadata ? <code>{e.metadata}</code> : '—'}</td>
                </tr>
              ))}
            </DataTable>
            <nav className="pager" aria-label="Pages">
              <button
                type="button"
                className="secondary"
                disabled={!filters.after}
                onClick={() => setQuery({ after: null }, false)}
              >
                Newest
              </button>
              <button
                type="button"
                className="secondary"
                disabled={!data.nextCursor}
                onClick={() => setQuery({ after: data.nextCursor ?? null }, false)}
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
