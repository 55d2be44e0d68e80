import { type FormEvent, useState } from 'react';
import { type Customer, getAll, post } from '../api';
import { DataTable } from '../data-table';
import { SuccessNote } from '../feedback';
import { takeFlash } from '../flash';
import { FormError } from '../form-footer';
import { Loaded } from '../loaded';
import { Link } from '../router';
import { useCan } from '../session';
import { Empty, errorText, Field, formatDay, PageHeader, useAsync } from '../ui';

export function CustomersPage() {
  const canWrite = useCan('customers:write');
  const customers = useAsync(() => getAll<Customer>('/customers'), []);
  const [filter, setFilter] = useState('');
  const [form, setForm] = useState({ name: '', email: '', company: '' });
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState(() => takeFlash('/customers'));

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setNotice(null);
    try {
      const created = await post<Customer>('/customers', {
        name: form.name,
        ...(form.email ? { email: form.email } : {}),
        ...(form.company ? { company: form.company } : {}),
      });
      setForm({ name: '', email: '', company: '' });
      setNotice(`Customer “${created.name}” added.`);
      customers.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const needle = filter.trim().toLowerCase();
  const shown = (customers.data ?? []).filter(
    (c) => !needle || [c.name, c.email ?? '', c.company ?? ''].some((v) => v.toLowerCase().includes(needle)),
  );
  return (
    <>
      <PageHeader title="Customers">Who holds your licenses.</PageHeader>
      <SuccessNote text={notice} />
      {canWrite && (
        <form className="card inline-form" onSubmit={create} aria-labelledby="new-customer">
          <h2 id="new-customer">New customer</h2>
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
          <Field label="Email">
            {(p) => (
              <input
                {...p}
                type="email"
                value={form.email}
                onChange={(e) => setForm({ ...form, email: e.target.value })}
              />
            )}
          </Field>
          <Field label="Company">
            {(p) => (
              <input
                {...p}
                maxLength={200}
                value={form.company}
                onChange={(e) => setForm({ ...form, company: e.target.value })}
              />
            )}
          </Field>
          <button type="submit">Add customer</button>
          <FormError error={error} />
        </form>
      )}
      <div className="filters">
        <div className="field grow">
          <label htmlFor="customer-filter">Find a customer</label>
          <input
            id="customer-filter"
            type="search"
            placeholder="name, email or company"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
        </div>
      </div>
      <Loaded
        state={customers}
        rows={() => shown}
        empty={<Empty title={customers.data?.length === 0 ? 'No customers yet' : 'No customer matches'} />}
      >
        {(rows) => (
          <DataTable
            caption="Customers"
            columns={['Name', 'Email', 'Company', 'Since', { label: 'Licenses', hidden: true }]}
          >
            {rows.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link href={`/customers/${c.id}`}>{c.name}</Link>
                </td>
                <td>{c.email ?? '—'}</td>
                <td>{c.company ?? '—'}</td>
                <td>{formatDay(c.createdAt)}</td>
                <td>
                  <Link href={`/licenses?customerId=${c.id}`}>Licenses</Link>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Loaded>
    </>
  );
}
