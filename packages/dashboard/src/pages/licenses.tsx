import { type FormEvent, useEffect, useState } from 'react';
import {
  type Customer,
  get,
  getAll,
  type License,
  type LicenseList,
  type Page,
  type Policy,
  type Product,
  post,
} from '../api';
import { download, toCsv } from '../csv';
import { DataTable } from '../data-table';
import { SuccessNote } from '../feedback';
import { takeFlash } from '../flash';
import { FormError } from '../form-footer';
import { Loaded } from '../loaded';
import { Link, setQuery, useLocation } from '../router';
import { useCan } from '../session';
import {
  Dialog,
  Empty,
  ErrorNote,
  errorText,
  Field,
  formatDay,
  Loading,
  PageHeader,
  Progress,
  StatusBadge,
  useAsync,
} from '../ui';

const BATCH = 1000;
const MAX_BULK = 100_000;

export interface Catalog {
  products: Product[];
  policies: Policy[];
  customers: Customer[];
}

/**
 * The policy the Create-keys dialog starts on: the one the page it was opened from shows (a policy's licenses,
 * a product's page or its licenses), else the first.
 */
export function preselectedPolicy(catalog: Catalog, from: { policyId?: string; productId?: string }): string {
  const policy =
    catalog.policies.find((p) => String(p.id) === from.policyId) ??
    catalog.policies.find((p) => String(p.productId) === from.productId) ??
    catalog.policies[0];
  return policy ? String(policy.id) : '';
}

export function BulkCreate({
  catalog,
  initialPolicyId,
  initialCustomerId = '',
  onDone,
}: {
  catalog: Catalog;
  initialPolicyId: string;
  initialCustomerId?: string;
  onDone: () => void;
}) {
  const [policyId, setPolicyId] = useState(initialPolicyId);
  const [count, setCount] = useState(10);
  const [email, setEmail] = useState('');
  const [customerId, setCustomerId] = useState(initialCustomerId);
  const [created, setCreated] = useState<License[]>([]);
  const [target, setTarget] = useState(0);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [finished, setFinished] = useState(false);

  const run = async (event: FormEvent) => {
    event.preventDefault();
    setRunning(true);
    setError(null);
    setCreated([]);
    setFinished(false);
    setTarget(count);
    const all: License[] = [];
    try {
      // Batches of at most 1000, each one transaction: a failure leaves the finished batches and says so.
      for (let done = 0; done < count; done += BATCH) {
        const n = Math.min(BATCH, count - done);
        const template = {
          ...(email ? { email } : {}),
          ...(customerId ? { customerId: Number(customerId) } : {}),
        };
        const body =
          Object.keys(template).length === 0
            ? { policyId: Number(policyId), count: n }
            : { policyId: Number(policyId), licenses: Array.from({ length: n }, () => template) };
        const page = await post<{ data: License[] }>('/licenses/batch', body);
        all.push(...page.data);
        setCreated([...all]);
      }
      setFinished(true);
      // Ready for the next batch; the keys just made stay below for the CSV.
      setCount(10);
      setEmail('');
      setCustomerId(initialCustomerId);
    } catch (e) {
      setError(`${errorText(e)} ${all.length} of ${count} keys were created before the failure.`);
    } finally {
      setRunning(false);
      onDone();
    }
  };

  const csv = () =>
    download(
      `keyward-keys-${new Date().toISOString().slice(0, 19).replaceAll(':', '')}.csv`,
      toCsv([
        ['id', 'key', 'policyId', 'email', 'customerId', 'expiresAt', 'createdAt'],
        ...created.map((l) => [l.id, l.key, l.policyId, l.email, l.customerId, l.expiresAt, l.createdAt]),
      ]),
    );

  const policyLabel = (p: Policy) => policyLabelOf(catalog, p.id);
  return (
    <form onSubmit={run} className="stack">
      {catalog.policies.length === 0 ? (
        <Empty title="No policy yet">
          Create a product and a policy first: <Link href="/products">Products &amp; policies</Link>.
        </Empty>
      ) : (
        <>
          <Field label="Policy">
            {(p) => (
              <select
                {...p}
                required
                value={policyId}
                onChange={(e) => setPolicyId(e.target.value)}
                disabled={running}
              >
                {catalog.policies.map((policy) => (
                  <option key={policy.id} value={policy.id}>
                    {policyLabel(policy)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            label="Number of keys"
            hint={`1 to ${MAX_BULK.toLocaleString()}; created in batches of ${BATCH}`}
          >
            {(p) => (
              <input
                {...p}
                type="number"
                min={1}
                max={MAX_BULK}
                required
                value={count}
                disabled={running}
                onChange={(e) => setCount(Number(e.target.value))}
              />
            )}
          </Field>
          <div className="grid-2">
            <Field label="Email (optional)">
              {(p) => (
                <input
                  {...p}
                  type="email"
                  value={email}
                  disabled={running}
                  onChange={(e) => setEmail(e.target.value)}
                />
              )}
            </Field>
            <Field label="Customer (optional)">
              {(p) => (
                <select
                  {...p}
                  value={customerId}
                  disabled={running}
                  onChange={(e) => setCustomerId(e.target.value)}
                >
                  <option value="">none</option>
                  {catalog.customers.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                      {c.email ? ` <${c.email}>` : ''}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          {(running || created.length > 0) && (
            <Progress value={created.length} max={target} label="Keys created" />
          )}
          <FormError error={error} />
          {finished && (
            <p className="note success" role="status">
              {created.length.toLocaleString()} {created.length === 1 ? 'key' : 'keys'} created under{' '}
              {policyLabelOf(catalog, Number(created[0]?.policyId))}.
            </p>
          )}
          <div className="actions">
            <button type="submit" disabled={running}>
              {running ? 'Creating…' : 'Create keys'}
            </button>
            {created.length > 0 && (
              <button type="button" className="secondary" onClick={csv} disabled={running}>
                Download CSV of the new keys
              </button>
            )}
          </div>
          {created.length > 0 && !running && (
            <details>
              <summary>Show the new keys</summary>
              <ul className="key-list">
                {created.slice(0, 200).map((l) => (
                  <li key={l.id}>
                    <code>{l.key}</code>
                  </li>
                ))}
              </ul>
              {created.length > 200 && (
                <p className="muted">The CSV holds all {created.length.toLocaleString()}.</p>
              )}
            </details>
          )}
        </>
      )}
    </form>
  );
}

function policyLabelOf(catalog: Catalog, policyId: number): string {
  const policy = catalog.policies.find((p) => p.id === policyId);
  if (!policy) return `policy #${policyId}`;
  return `${catalog.products.find((x) => x.id === policy.productId)?.name ?? '?'} · ${policy.name}`;
}

export function LicensesPage() {
  const { search } = useLocation();
  const canCreate = useCan('licenses:write');
  const q = search.get('q') ?? '';
  const filters = {
    productId: search.get('productId') ?? '',
    policyId: search.get('policyId') ?? '',
    status: search.get('status') ?? '',
    customerId: search.get('customerId') ?? '',
    order: search.get('order') ?? 'desc',
    limit: search.get('limit') ?? '50',
    after: search.get('after') ?? '',
  };
  // How many licenses came before this page, so the pager can say "51–100 of 1,234".
  const from = Number(search.get('from') ?? 0) || 0;
  const [text, setText] = useState(q);
  const [history, setHistory] = useState<Array<{ after: string; from: number }>>([]);
  const [bulkOpen, setBulkOpen] = useState(search.get('create') === '1');
  const [notice] = useState(() => takeFlash('/licenses'));
  useEffect(() => setText(q), [q]);

  const catalog = useAsync(
    async (): Promise<Catalog> => ({
      products: await getAll<Product>('/products'),
      policies: await getAll<Policy>('/policies'),
      customers: await getAll<Customer>('/customers'),
    }),
    [],
  );
  const term = q.trim();
  const matching = {
    productId: filters.productId,
    policyId: filters.policyId,
    status: filters.status,
    customerId: filters.customerId,
    ...(term.includes('@') ? { email: term } : term ? { key: term } : {}),
  };
  const list = useAsync(() => {
    const started = performance.now();
    return get<LicenseList>('/licenses', {
      ...matching,
      order: filters.order,
      limit: filters.limit,
      after: filters.after,
    }).then((page) => ({ page, ms: Math.round(performance.now() - started) }));
  }, [search.toString()]);
  // The total comes in its own request: the page never waits for the count, which can take longer.
  const counted = useAsync(
    () => get<LicenseList>('/licenses', { ...matching, limit: 1, withTotal: true }),
    [JSON.stringify(matching)],
  );

  const change = (values: Record<string, string>) => {
    setHistory([]);
    setQuery({ ...values, after: null, from: null });
  };
  const submitSearch = (event: FormEvent) => {
    event.preventDefault();
    change({ q: text.trim() });
  };
  const next = () => {
    const cursor = list.data?.page.nextCursor;
    if (!cursor) return;
    setHistory((h) => [...h, { after: filters.after, from }]);
    setQuery({ after: cursor, from: from + (list.data?.page.data.length ?? 0) }, false);
  };
  const previous = () => {
    const before = history[history.length - 1] ?? { after: '', from: 0 };
    setHistory((h) => h.slice(0, -1));
    setQuery({ after: before.after, from: before.from || null }, false);
  };

  const products = catalog.data?.products ?? [];
  const policies = (catalog.data?.policies ?? []).filter(
    (p) => !filters.productId || p.productId === Number(filters.productId),
  );
  const policyName = (id: number) => catalog.data?.policies.find((p) => p.id === id)?.name ?? `#${id}`;
  const customerName = (id: number | null) =>
    id === null ? null : (catalog.data?.customers.find((c) => c.id === id)?.name ?? `#${id}`);
  const filtered = Boolean(
    term || filters.productId || filters.policyId || filters.status || filters.customerId,
  );

  return (
    <>
      <PageHeader
        title="Licenses"
        actions={
          canCreate && (
            <button type="button" onClick={() => setBulkOpen(true)} disabled={!catalog.data}>
              Create keys
            </button>
          )
        }
      >
        Search by any part of a key (case and dashes do not matter) or by email; filter by product, policy,
        state or customer.
      </PageHeader>
      <form className="filters" onSubmit={submitSearch} aria-label="Search and filter licenses">
        <div className="field grow">
          <label htmlFor="license-search">Key or email</label>
          <div className="input-button">
            <input
              id="license-search"
              type="search"
              placeholder="e.g. 7KQ2M or buyer@example.com"
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
            <button type="submit">Search</button>
          </div>
        </div>
        <div className="field">
          <label htmlFor="filter-product">Product</label>
          <select
            id="filter-product"
            value={filters.productId}
            onChange={(e) => change({ productId: e.target.value, policyId: '' })}
          >
            <option value="">all</option>
            {products.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-policy">Policy</label>
          <select
            id="filter-policy"
            value={filters.policyId}
            onChange={(e) => change({ policyId: e.target.value })}
          >
            <option value="">all</option>
            {policies.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-status">State</label>
          <select
            id="filter-status"
            value={filters.status}
            onChange={(e) => change({ status: e.target.value })}
          >
            <option value="">all</option>
            <option value="active">active</option>
            <option value="suspended">suspended</option>
            <option value="expired">expired</option>
            <option value="revoked">revoked</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-customer">Customer</label>
          <select
            id="filter-customer"
            value={filters.customerId}
            onChange={(e) => change({ customerId: e.target.value })}
          >
            <option value="">all</option>
            {(catalog.data?.customers ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-order">Sort</label>
          <select id="filter-order" value={filters.order} onChange={(e) => change({ order: e.target.value })}>
            <option value="desc">newest first</option>
            <option value="asc">oldest first</option>
          </select>
        </div>
      </form>
      <SuccessNote text={notice} />
      <Loaded
        state={list}
        rows={(d) => d.page.data}
        loadingLabel="Loading licenses…"
        empty={
          filtered ? (
            <Empty title="No license matches">
              Keys match from their beginning; emails match exactly.{' '}
              <button
                type="button"
                className="link"
                onClick={() => change({ q: '', productId: '', policyId: '', status: '', customerId: '' })}
              >
                Clear the filters
              </button>
            </Empty>
          ) : (
            <Empty title="No licenses yet">
              Create keys with the button above once a product has a policy.
            </Empty>
          )
        }
      >
        {(rows, data) => (
          <>
            <DataTable
              caption={`Licenses, ${filters.order === 'asc' ? 'oldest' : 'newest'} first`}
              columns={[
                'Key',
                'State',
                'Policy',
                'Customer / email',
                { label: 'Machines', numeric: true },
                'Expires',
                'Created',
              ]}
              className="licenses"
              busy={list.loading}
            >
              {rows.map((l) => (
                <tr key={l.id}>
                  <td>
                    <Link href={`/licenses/${l.id}`} className="mono">
                      {l.key}
                    </Link>
                  </td>
                  <td>
                    <StatusBadge status={l.status} />
                  </td>
                  <td>{policyName(l.policyId)}</td>
                  <td>{[customerName(l.customerId), l.email].filter(Boolean).join(' · ') || '—'}</td>
                  <td className="num">{l.activationCount}</td>
                  <td>{l.expiresAt ? formatDay(l.expiresAt) : 'never'}</td>
                  <td>{formatDay(l.createdAt)}</td>
                </tr>
              ))}
            </DataTable>
            <nav className="pager" aria-label="Pages">
              <button type="button" className="secondary" onClick={previous} disabled={!filters.after}>
                Previous
              </button>
              <span className="muted" role="status">
                {pagerText(
                  from,
                  data.page,
                  counted.error ? {} : counted.data && !counted.loading ? counted.data : 'counting',
                )}{' '}
                · {data.ms} ms
              </span>
              <label className="inline">
                Per page{' '}
                <select value={filters.limit} onChange={(e) => change({ limit: e.target.value })}>
                  {['25', '50', '100', '250'].map((n) => (
                    <option key={n}>{n}</option>
                  ))}
                </select>
              </label>
              <button type="button" className="secondary" onClick={next} disabled={!data.page.nextCursor}>
                Next
              </button>
            </nav>
          </>
        )}
      </Loaded>
      <Dialog
        title="Create keys"
        open={bulkOpen}
        onClose={() => {
          setBulkOpen(false);
          if (search.get('create')) setQuery({ create: null });
        }}
      >
        {catalog.data ? (
          <BulkCreate
            catalog={catalog.data}
            initialPolicyId={preselectedPolicy(catalog.data, filters)}
            initialCustomerId={filters.customerId}
            onDone={list.reload}
          />
        ) : catalog.error ? (
          <ErrorNote error={catalog.error} onRetry={catalog.reload} />
        ) : (
          <Loading />
        )}
      </Dialog>
    </>
  );
}

/**
 * "1–50 of 1,234", "51–100 of more than 10,000" (counting stops there), "1–50 of …" while the count runs, or
 * "1–50 of many" without a count.
 */
export function pagerText(
  from: number,
  page: Page<License> & Pick<LicenseList, 'total' | 'isTotalExact'>,
  counted: Pick<LicenseList, 'total' | 'isTotalExact'> | 'counting' = page,
): string {
  const shown = page.data.length;
  if (shown === 0) return 'none';
  const range = `${(from + 1).toLocaleString()}–${(from + shown).toLocaleString()}`;
  if (!page.nextCursor && from === 0) return `${range} of ${shown.toLocaleString()}`;
  if (counted === 'counting') return `${range} of …`;
  if (counted.total === undefined)
    return page.nextCursor ? `${range} of many` : `${range} of ${(from + shown).toLocaleString()}`;
  const total = Math.max(counted.total, from + shown);
  return counted.isTotalExact === false
    ? `${range} of more than ${total.toLocaleString()}`
    : `${range} of ${total.toLocaleString()}`;
}
