import { type FormEvent, useState } from 'react';
import { del, getAll, patch, post, type Reseller } from '../api';
import { DataTable } from '../data-table';
import { FeedbackNote, useFeedback } from '../feedback';
import { FormFooter } from '../form-footer';
import { Loaded } from '../loaded';
import { useCan } from '../session';
import { DialogFor, Empty, Field, formatDay, PageHeader, useAsync } from '../ui';

type Draft = { name: string; url: string; email: string; phone: string; description: string };
const EMPTY: Draft = { name: '', url: '', email: '', phone: '', description: '' };
const OPTIONAL = ['url', 'email', 'phone', 'description'] as const;

const draftOf = (r: Reseller): Draft => ({
  name: r.name,
  url: r.url ?? '',
  email: r.email ?? '',
  phone: r.phone ?? '',
  description: r.description ?? '',
});

function ResellerFields({ draft, onChange }: { draft: Draft; onChange: (draft: Draft) => void }) {
  const set = (name: keyof Draft) => (e: { target: { value: string } }) =>
    onChange({ ...draft, [name]: e.target.value });
  return (
    <>
      <div className="grid-2">
        <Field label="Name">
          {(p) => <input {...p} required maxLength={200} value={draft.name} onChange={set('name')} />}
        </Field>
        <Field label="Website (optional)">
          {(p) => <input {...p} type="url" maxLength={2000} value={draft.url} onChange={set('url')} />}
        </Field>
        <Field label="Email (optional)">
          {(p) => <input {...p} type="email" maxLength={320} value={draft.email} onChange={set('email')} />}
        </Field>
        <Field label="Phone (optional)">
          {(p) => <input {...p} type="tel" maxLength={100} value={draft.phone} onChange={set('phone')} />}
        </Field>
      </div>
      <Field label="Description (optional)">
        {(p) => (
          <textarea
            {...p}
            rows={2}
            maxLength={10_000}
            value={draft.description}
            onChange={set('description')}
          />
        )}
      </Field>
    </>
  );
}

function EditReseller({
  reseller,
  onClose,
  onSaved,
}: {
  reseller: Reseller;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const [draft, setDraft] = useState(draftOf(reseller));
  const { feedback, run } = useFeedback();
  const save = async (event: FormEvent) => {
    event.preventDefault();
    // Emptied optional fields are cleared, not left as they were.
    const body = {
      name: draft.name,
      ...Object.fromEntries(OPTIONAL.map((key) => [key, draft[key].trim() === '' ? null : draft[key]])),
    };
    if (await run(() => patch(`/resellers/${reseller.id}`, body), '')) onSaved(draft.name);
  };
  return (
    <form className="stack" onSubmit={save}>
      <ResellerFields draft={draft} onChange={setDraft} />
      <FormFooter
        feedback={feedback?.kind === 'error' ? feedback : null}
        label="Save reseller"
        onCancel={onClose}
      />
    </form>
  );
}

export function ResellersPage() {
  const canWrite = useCan('customers:write');
  const resellers = useAsync(() => getAll<Reseller>('/resellers'), []);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [editing, setEditing] = useState<Reseller | null>(null);
  const { feedback, run, clear } = useFeedback();
  const notice = useFeedback();

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const body = {
      name: draft.name,
      ...Object.fromEntries(
        OPTIONAL.filter((key) => draft[key].trim() !== '').map((key) => [key, draft[key]]),
      ),
    };
    if (await run(() => post('/resellers', body), `Reseller “${draft.name}” added.`)) {
      setDraft(EMPTY);
      resellers.reload();
    }
  };
  const remove = async (reseller: Reseller) => {
    if (!window.confirm(`Delete the reseller “${reseller.name}”? Their licenses stay, without a reseller.`))
      return;
    if (await notice.run(() => del(`/resellers/${reseller.id}`), `Reseller “${reseller.name}” deleted.`))
      resellers.reload();
  };

  return (
    <>
      <PageHeader title="Resellers">
        Partners who sell your licenses; Cryptolens keys name theirs, and imports keep them.
      </PageHeader>
      {canWrite && (
        <form className="card stack" onSubmit={create} aria-labelledby="new-reseller">
          <h2 id="new-reseller">New reseller</h2>
          <ResellerFields draft={draft} onChange={setDraft} />
          <FormFooter feedback={feedback} label="Add reseller" />
        </form>
      )}
      <FeedbackNote feedback={notice.feedback} />
      <Loaded state={resellers} rows={(d) => d} empty={<Empty title="No resellers yet" />}>
        {(rows) => (
          <DataTable
            caption="Resellers"
            columns={['Name', 'Contact', 'Description', 'Since', { label: 'Actions', hidden: true }]}
          >
            {rows.map((r) => (
              <tr key={r.id}>
                <td>
                  {r.url ? (
                    <a href={r.url} rel="noopener noreferrer" target="_blank">
                      {r.name}
                    </a>
                  ) : (
                    r.name
                  )}
                </td>
                <td>{[r.email, r.phone].filter(Boolean).join(' · ') || '—'}</td>
                <td>{r.description ?? '—'}</td>
                <td>{formatDay(r.createdAt)}</td>
                <td>
                  {canWrite && (
                    <div className="actions">
                      <button
                        type="button"
                        className="secondary small"
                        aria-label={`Edit reseller ${r.name}`}
                        onClick={() => {
                          notice.clear();
                          clear();
                          setEditing(r);
                        }}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        className="danger small"
                        aria-label={`Delete reseller ${r.name}`}
                        onClick={() => remove(r)}
                      >
                        Delete
                      </button>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Loaded>
      <DialogFor title="Edit reseller" item={editing} onClose={() => setEditing(null)}>
        {(reseller) => (
          <EditReseller
            reseller={reseller}
            onClose={() => setEditing(null)}
            onSaved={(name) => {
              setEditing(null);
              resellers.reload();
              notice.succeeded(`Reseller “${name}” saved.`);
            }}
          />
        )}
      </DialogFor>
    </>
  );
}
