import { type FormEvent, useState } from 'react';
import { type Customer, del, get, getAll, type LicenseList, type Policy, type Product, patch } from '../api';
import { DataTable } from '../data-table';
import { type Notice, NoticeNote } from '../feedback';
import { flashOn, takeFlash } from '../flash';
import { FormFooter } from '../form-footer';
import { Link, navigate } from '../router';
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
  StatusBadge,
  useAsync,
} from '../ui';
import { BulkCreate, pagerText } from './licenses';

function EditCustomer({ customer, onSaved }: { customer: Customer; onSaved: (customer: Customer) => void }) {
  const [form, setForm] = useState({
    name: customer.name,
    email: customer.email ?? '',
    company: customer.company ?? '',
  });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      onSaved(
        await patch<Customer>(`/customers/${customer.id}`, {
          name: form.name,
          email: form.email.trim() === '' ? null : form.email.trim(),
          company: form.company.trim() === '' ? null : form.company.trim(),
        }),
      );
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  return (
    <form className="stack" onSubmit={save} aria-label="Edit the customer">
      <Field label="Name">
        {(p) => (
          <input
            {...p}
            required
            maxLength={200}
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
          />
        )}
      </Field>
      <Field label="Email" hint="Empty: none">
        {(p) => (
          <input
            {...p}
            type="email"
            maxLength={320}
            value={form.email}
            onChange={(e) => setForm({ ...form, email: e.target.value })}
          />
        )}
      </Field>
      <Field label="Company" hint="Empty: none">
        {(p) => (
          <input
            {...p}
            maxLength={200}
            value={form.company}
            onChange={(e) => setForm({ ...form, company: e.target.value })}
          />
        )}
      </Field>
      <FormFooter error={error} busy={busy} label="Save customer" />
    </form>
  );
}

/** A customer: who they are, their licenses, and what can be done about either. */
export function CustomerPage({ id }: { id: number }) {
  const canWrite = useCan('customers:write');
  const canCreateKeys = useCan('licenses:write');
  const data = useAsync(async () => {
    const [customer, licenses, products, policies] = await Promise.all([
      get<Customer>(`/customers/${id}`),
      get<LicenseList>('/licenses', { customerId: id, limit: 50, withTotal: true }),
      getAll<Product>('/products'),
      getAll<Policy>('/policies'),
    ]);
    return { customer, licenses, products, policies };
  }, [id]);
  const [notice, setNotice] = useState<Notice | null>(() => {
    const text = takeFlash(`/customers/${id}`);
    return text ? { text } : null;
  });
  const [editing, setEditing] = useState(false);
  const [creatingKeys, setCreatingKeys] = useState(false);
  const [busy, setBusy] = useState(false);

  if (data.error) return <ErrorNote error={data.error} onRetry={data.reload} />;
  if (!data.data) return <Loading />;
  const { customer, licenses, products, policies } = data.data;
  const policyName = (policyId: number) => policies.find((p) => p.id === policyId)?.name ?? `#${policyId}`;

  const remove = async () => {
    const count = licenses.total ?? licenses.data.length;
    const keep =
      count === 0
        ? ''
        : ` Their ${count === 1 ? 'license stays' : `${count.toLocaleString()} licenses stay`}, without a customer.`;
    if (!window.confirm(`Delete the customer ${customer.name}?${keep}`)) return;
    setBusy(true);
    setNotice(null);
    try {
      await del(`/customers/${id}`);
      flashOn('/customers', `Customer “${customer.name}” deleted.`);
      navigate('/customers');
    } catch (e) {
      setNotice({ text: `The customer was not deleted: ${errorText(e)}`, error: true });
      setBusy(false);
    }
  };

  return (
    <>
      <p className="breadcrumb">
        <Link href="/customers">Customers</Link> /
      </p>
      <PageHeader
        title={customer.name}
        actions={
          <>
            {canCreateKeys && (
              <button type="button" onClick={() => setCreatingKeys(true)} disabled={policies.length === 0}>
                Create keys
              </button>
            )}
            {canWrite && (
              <>
                <button type="button" className="secondary" onClick={() => setEditing(true)}>
                  Edit
                </button>
                <button type="button" className="danger" disabled={busy} onClick={remove}>
                  Delete
                </button>
              </>
            )}
          </>
        }
      >
        Customer #{customer.id} · since {formatDay(customer.createdAt)}
      </PageHeader>
      <NoticeNote notice={notice} />
      <section className="card" aria-labelledby="customer-details">
        <h2 id="customer-details">Details</h2>
        <dl className="pairs">
          <div>
            <dt>Name</dt>
            <dd>{customer.name}</dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd>{customer.email ?? '—'}</dd>
          </div>
          <div>
            <dt>Company</dt>
            <dd>{customer.company ?? '—'}</dd>
          </div>
        </dl>
      </section>
      <section className="card" aria-labelledby="customer-licenses">
        <div className="card-head">
          <h2 id="customer-licenses">Licenses</h2>
          <span className="muted">{pagerText(0, licenses)}</span>
        </div>
        {licenses.data.length === 0 ? (
          <Empty title="No licenses">This customer holds no license yet.</Empty>
        ) : (
          <DataTable caption={`Licenses of ${customer.name}`} columns={['Key', 'State', 'Policy', 'Expires']}>
            {licenses.data.map((l) => (
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
                <td>{l.expiresAt ? formatDay(l.expiresAt) : 'never'}</td>
              </tr>
            ))}
          </DataTable>
        )}
        {licenses.nextCursor && (
          <Link href={`/licenses?customerId=${id}`}>All licenses of {customer.name}</Link>
        )}
      </section>
      <Dialog title="Edit customer" open={editing} onClose={() => setEditing(false)}>
        <EditCustomer
          customer={customer}
          onSaved={(saved) => {
            setEditing(false);
            setNotice({ text: `Customer “${saved.name}” saved.` });
            data.reload();
          }}
        />
      </Dialog>
      <Dialog
        title="Create keys"
        open={creatingKeys}
        onClose={() => {
          setCreatingKeys(false);
          data.reload();
        }}
      >
        <BulkCreate
          catalog={{ products, policies, customers: [customer] }}
          initialPolicyId={String(policies[0]?.id ?? '')}
          initialCustomerId={String(customer.id)}
          onDone={() => {}}
        />
      </Dialog>
    </>
  );
}
