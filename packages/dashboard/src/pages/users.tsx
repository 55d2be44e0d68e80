import { type FormEvent, useState } from 'react';
import { type DashboardUser, del, get, patch, post, type Role } from '../api';
import { DataTable } from '../data-table';
import { FeedbackNote, useFeedback } from '../feedback';
import { FormFooter } from '../form-footer';
import { Loaded } from '../loaded';
import { useCan, useSession } from '../session';
import { DialogFor, Empty, Field, formatDate, PageHeader, useAsync } from '../ui';

const ROLES: Array<{ value: Role; label: string }> = [
  { value: 'admin', label: 'admin — everything, users included' },
  { value: 'support', label: 'support — reads everything, manages machines' },
  { value: 'read-only', label: 'read-only — reads everything' },
];
/** As the server demands (core/services/dashboard-auth-service.ts). */
const MIN_PASSWORD_LENGTH = 10;

/** A new password, typed twice; the second field reports a mismatch before anything is sent. */
function PasswordFields({
  password,
  repeat,
  onChange,
  label = 'Password',
}: {
  password: string;
  repeat: string;
  onChange: (password: string, repeat: string) => void;
  label?: string;
}) {
  return (
    <>
      <Field
        label={label}
        hint={`At least ${MIN_PASSWORD_LENGTH} characters; pass it on to the user yourself`}
      >
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="new-password"
            required
            minLength={MIN_PASSWORD_LENGTH}
            maxLength={1024}
            value={password}
            onChange={(e) => onChange(e.target.value, repeat)}
          />
        )}
      </Field>
      <Field label={`Repeat ${label.toLowerCase()}`}>
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="new-password"
            required
            value={repeat}
            ref={(input) =>
              input?.setCustomValidity(repeat && repeat !== password ? 'The passwords differ.' : '')
            }
            onChange={(e) => onChange(password, e.target.value)}
          />
        )}
      </Field>
    </>
  );
}

function SetPassword({
  user,
  isSelf,
  onClose,
  onDone,
}: {
  user: DashboardUser;
  isSelf: boolean;
  onClose: () => void;
  onDone: () => void;
}) {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const { feedback, run } = useFeedback();
  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (await run(() => patch(`/dashboard-users/${user.id}`, { password }), '')) onDone();
  };
  return (
    <form className="stack" onSubmit={save}>
      <p className="muted">
        {isSelf
          ? 'Every session of yours ends, this one too: sign in again with the new password.'
          : `Every session of ${user.email} ends; they sign in with the new password.`}
      </p>
      <PasswordFields
        label="New password"
        password={password}
        repeat={repeat}
        onChange={(p, r) => {
          setPassword(p);
          setRepeat(r);
        }}
      />
      <FormFooter
        feedback={feedback?.kind === 'error' ? feedback : null}
        label="Set password"
        onCancel={onClose}
      />
    </form>
  );
}

export function UsersPage() {
  const isAdmin = useCan('*');
  const { session, signOut } = useSession();
  const me = session.user?.id;
  const users = useAsync(
    () => (isAdmin ? get<{ data: DashboardUser[] }>('/dashboard-users') : Promise.resolve({ data: [] })),
    [isAdmin],
  );
  const [form, setForm] = useState({ email: '', role: 'support' as Role, password: '', repeat: '' });
  const [passwordFor, setPasswordFor] = useState<DashboardUser | null>(null);
  const created = useFeedback();
  const notice = useFeedback();

  if (!isAdmin) {
    return (
      <>
        <PageHeader title="Users" />
        <p className="note">Only admins manage the dashboard's users.</p>
      </>
    );
  }

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const { email, role, password } = form;
    if (
      await created.run(
        () => post('/dashboard-users', { email, role, password }),
        `User ${email.trim().toLowerCase()} created as ${role}. Pass the password on to them.`,
      )
    ) {
      setForm({ email: '', role: 'support', password: '', repeat: '' });
      users.reload();
    }
  };
  const changeRole = async (user: DashboardUser, role: Role) => {
    if (
      user.id === me &&
      !window.confirm(`Give yourself the role ${role}? You can no longer manage users then.`)
    ) {
      users.reload();
      return;
    }
    created.clear();
    const ok = await notice.run(
      () => patch(`/dashboard-users/${user.id}`, { role }),
      `${user.email} is now ${role}.`,
    );
    // Your own new role changes what the dashboard offers: start it afresh.
    if (ok && user.id === me) window.location.assign('/');
    else users.reload();
  };
  const remove = async (user: DashboardUser) => {
    const question =
      user.id === me
        ? 'Delete your own user? You are signed out at once.'
        : `Delete the user ${user.email}? Their sessions end at once.`;
    if (!window.confirm(question)) return;
    created.clear();
    if (await notice.run(() => del(`/dashboard-users/${user.id}`), `User ${user.email} deleted.`)) {
      if (user.id === me) await signOut();
      else users.reload();
    }
  };

  return (
    <>
      <PageHeader title="Users">
        Who may sign in to this dashboard. Passwords are stored hashed and never shown again.
      </PageHeader>
      <form className="card stack" onSubmit={create} aria-labelledby="new-user">
        <h2 id="new-user">New user</h2>
        <div className="grid-2">
          <Field label="Email">
            {(p) => (
              <input
                {...p}
                type="email"
                required
                maxLength={320}
                autoComplete="off"
                value={form.email}
                onChange={(e) => setForm({ ...form, email: e.target.value })}
              />
            )}
          </Field>
          <Field label="Role">
            {(p) => (
              <select
                {...p}
                value={form.role}
                onChange={(e) => setForm({ ...form, role: e.target.value as Role })}
              >
                {ROLES.map((r) => (
                  <option key={r.value} value={r.value}>
                    {r.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <PasswordFields
            password={form.password}
            repeat={form.repeat}
            onChange={(password, repeat) => setForm({ ...form, password, repeat })}
          />
        </div>
        <FormFooter feedback={created.feedback} label="Create user" />
      </form>
      <FeedbackNote feedback={notice.feedback} />
      <Loaded state={users} rows={(d) => d.data} empty={<Empty title="No users" />}>
        {(rows) => (
          <DataTable
            caption="Dashboard users"
            columns={['Email', 'Role', 'Last sign-in', 'Since', { label: 'Actions', hidden: true }]}
          >
            {rows.map((u) => (
              <tr key={u.id}>
                <td>
                  {u.email} {u.id === me && <span className="muted">(you)</span>}
                </td>
                <td>
                  <select
                    aria-label={`Role of ${u.email}`}
                    value={u.role}
                    onChange={(e) => changeRole(u, e.target.value as Role)}
                  >
                    {ROLES.map((r) => (
                      <option key={r.value} value={r.value}>
                        {r.value}
                      </option>
                    ))}
                  </select>
                </td>
                <td>{u.lastSignInAt ? formatDate(u.lastSignInAt) : 'never'}</td>
                <td>{formatDate(u.createdAt)}</td>
                <td>
                  <div className="actions">
                    <button
                      type="button"
                      className="secondary small"
                      aria-label={`Set a new password for ${u.email}`}
                      onClick={() => {
                        notice.clear();
                        created.clear();
                        setPasswordFor(u);
                      }}
                    >
                      Set password
                    </button>
                    <button
                      type="button"
                      className="danger small"
                      aria-label={`Delete user ${u.email}`}
                      onClick={() => remove(u)}
                    >
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Loaded>
      <DialogFor
        title={passwordFor ? `New password for ${passwordFor.email}` : 'New password'}
        item={passwordFor}
        onClose={() => setPasswordFor(null)}
      >
        {(user) => (
          <SetPassword
            user={user}
            isSelf={user.id === me}
            onClose={() => setPasswordFor(null)}
            onDone={async () => {
              setPasswordFor(null);
              if (user.id === me) {
                await signOut();
                return;
              }
              notice.succeeded(`New password set for ${user.email}; their sessions were ended.`);
              users.reload();
            }}
          />
        )}
      </DialogFor>
    </>
  );
}
