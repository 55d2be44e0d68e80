import { Fragment, useCallback, useEffect, useState } from 'react';
import { OfflineForm } from './offline-form';
import {
  type Branding,
  PortalError,
  type PortalLicense,
  type PortalMachine,
  type PortalPurchase,
  portalApi,
} from './portal-api';

const day = (iso: string | null) => (iso ? new Date(iso).toLocaleDateString() : 'never');

const PROVIDER_NAMES: Record<PortalPurchase['provider'], string> = {
  stripe: 'Stripe',
  paddle: 'Paddle',
  lemonsqueezy: 'Lemon Squeezy',
};
const PURCHASE_STATES: Record<PortalPurchase['status'], string> = {
  paid: 'paid',
  active: 'subscription active',
  canceled: 'subscription canceled',
  reversed: 'refunded',
};

/** "on 3/1/2030 through Stripe, order cs_…, subscription canceled" */
function purchaseWords(purchase: PortalPurchase): string {
  const reference = purchase.orderId
    ? `order ${purchase.orderId}`
    : purchase.subscriptionId
      ? `subscription ${purchase.subscriptionId}`
      : null;
  return [
    `on ${day(purchase.purchasedAt)} through ${PROVIDER_NAMES[purchase.provider]}`,
    reference,
    PURCHASE_STATES[purchase.status],
  ]
    .filter(Boolean)
    .join(', ');
}

function saveFile(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  URL.revokeObjectURL(url);
}

/** The signed-in customer's licenses, their machines, and the actions the vendor allows. */
export function LicenseList({
  allowed,
  onSessionEnded,
}: {
  allowed: Branding['allowedActions'];
  onSessionEnded: () => void;
}) {
  const [licenses, setLicenses] = useState<PortalLicense[] | null>(null);
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);

  const report = useCallback(
    (error: unknown) => {
      if (error instanceof PortalError && error.status === 401) onSessionEnded();
      else setMessage({ kind: 'error', text: error instanceof Error ? error.message : String(error) });
    },
    [onSessionEnded],
  );
  const load = useCallback(
    () => portalApi<{ items: PortalLicense[] }>('GET', '/licenses').then((r) => setLicenses(r.items), report),
    [report],
  );
  useEffect(() => {
    load();
  }, [load]);

  const deactivate = async (machine: PortalMachine) => {
    setMessage(null);
    try {
      await portalApi('POST', `/machines/${machine.id}/deactivate`);
      setMessage({ kind: 'success', text: `${machine.name ?? machine.fingerprint} was deactivated.` });
      await load();
    } catch (error) {
      report(error);
    }
  };
  const licenseFile = async (license: PortalLicense, machine: PortalMachine | null) => {
    setMessage(null);
    try {
      const { file } = await portalApi<{ file: string }>(
        'POST',
        `/licenses/${license.id}/license-file`,
        machine ? { fingerprint: machine.fingerprint } : {},
      );
      saveFile(`license-${license.id}${machine ? `-${machine.id}` : ''}.lic`, `${file}\n`);
    } catch (error) {
      report(error);
    }
  };

  if (!licenses) return message ? <Note message={message} /> : <p role="status">Loading your licenses…</p>;
  return (
    <>
      <h1>Your licenses</h1>
      {message && <Note message={message} />}
      {licenses.length === 0 && <p>No licenses are registered to this address.</p>}
      {licenses.map((license) => (
        <section key={license.id} className="card license" aria-label={`License ${license.key}`}>
          <header>
            <h2>{license.productNames.join(', ') || license.policyName}</h2>
            <span className={`status status-${license.status}`}>{license.status}</span>
          </header>
          <dl>
            <dt>Key</dt>
            <dd className="mono">{license.key}</dd>
            <dt>Plan</dt>
            <dd>{license.policyName}</dd>
            <dt>Expires</dt>
            <dd>
              {day(license.expiresAt)}
              {license.daysLeft !== null && license.status === 'active'
                ? ` (${license.daysLeft} days left)`
                : ''}
            </dd>
            <dt>Machines</dt>
            <dd>
              {license.machines.length} of {license.maxMachines === 0 ? 'unlimited' : license.maxMachines}
            </dd>
            {license.purchases.map((purchase) => (
              <Fragment key={`${purchase.provider}-${purchase.orderId ?? purchase.subscriptionId}`}>
                <dt>Bought</dt>
                <dd>{purchaseWords(purchase)}</dd>
              </Fragment>
            ))}
            {allowed.deactivation && license.maxDeactivations !== -1 && (
              <>
                <dt>Deactivations left</dt>
                <dd>{Math.max(0, license.maxDeactivations - license.deactivationCount)}</dd>
              </>
            )}
          </dl>
          {license.machines.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th scope="col">Machine</th>
                  <th scope="col">Activated</th>
                  <th scope="col">Last seen</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {license.machines.map((machine) => (
                  <tr key={machine.id}>
                    <td>
                      {machine.name ?? machine.fingerprint}
                      {machine.platform ? <span className="muted"> · {machine.platform}</span> : null}
                    </td>
                    <td>{day(machine.activatedAt)}</td>
                    <td>{day(machine.lastSeenAt)}</td>
                    <td className="actions">
                      {allowed.licenseFile && (
                        <button
                          type="button"
                          className="secondary"
                          onClick={() => licenseFile(license, machine)}
                        >
                          License file
                        </button>
                      )}
                      {allowed.deactivation && (
                        <button
                          type="button"
                          className="secondary"
                          aria-label={`Deactivate ${machine.name ?? machine.fingerprint}`}
                          onClick={() => deactivate(machine)}
                        >
                          Deactivate
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {allowed.licenseFile && license.maxMachines === 0 && (
            <button type="button" className="secondary" onClick={() => licenseFile(license, null)}>
              Download license file
            </button>
          )}
        </section>
      ))}
      {allowed.offlineActivation && licenses.length > 0 && (
        <OfflineForm allowDeactivation={allowed.deactivation} onAnswered={load} onError={report} />
      )}
    </>
  );
}

function Note({ message }: { message: { kind: 'success' | 'error'; text: string } }) {
  return (
    <p className={`note ${message.kind}`} role={message.kind === 'error' ? 'alert' : 'status'}>
      {message.text}
    </p>
  );
}
