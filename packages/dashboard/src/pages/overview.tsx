import { useState } from 'react';
import { type EventSeries, get, type Overview } from '../api';
import { Link } from '../router';
import { ErrorNote, formatDay, formatNumber, Loading, PageHeader, useAsync } from '../ui';

const SERIES = [
  { type: 'machine.activated', label: 'Activations', className: 'series-a' },
  { type: 'license.validated', label: 'Validations', className: 'series-b' },
  { type: 'license.validation_failed', label: 'Failed validations', className: 'series-c' },
];

function Counts({ overview }: { overview: Overview }) {
  const cards = [
    { label: 'Licenses', value: overview.licenses, href: '/licenses' },
    { label: 'Active licenses', value: overview.activeLicenses, href: '/licenses?status=active' },
    { label: 'Active machines', value: overview.activeMachines },
    { label: 'Products', value: overview.products, href: '/products' },
    { label: 'Policies', value: overview.policies, href: '/products' },
    { label: 'Customers', value: overview.customers, href: '/customers' },
    { label: 'Suspended', value: overview.suspendedLicenses, href: '/licenses?status=suspended' },
    { label: 'Expired', value: overview.expiredLicenses, href: '/licenses?status=expired' },
    { label: 'Revoked', value: overview.revokedLicenses, href: '/licenses?status=revoked' },
  ];
  return (
    <ul className="stat-grid">
      {cards.map((card) => (
        <li key={card.label} className="stat">
          <span className="stat-value">{formatNumber(card.value)}</span>
          {card.href ? (
            <Link href={card.href} className="stat-label">
              {card.label}
            </Link>
          ) : (
            <span className="stat-label">{card.label}</span>
          )}
        </li>
      ))}
    </ul>
  );
}

/** Grouped bars per day, drawn in SVG; the same numbers follow as a table for screen readers. */
function Chart({ series }: { series: EventSeries }) {
  const days = [...new Set(series.buckets.map((b) => b.start))];
  const value = (start: string, type: string) =>
    series.buckets.find((b) => b.start === start && b.type === type)?.count ?? 0;
  // A whole, even top, so the middle grid line is a whole number too.
  const peak = Math.max(1, ...series.buckets.map((b) => b.count));
  const max = peak % 2 === 0 ? peak : peak + 1;
  const width = 720;
  const height = 220;
  const pad = { left: 40, bottom: 24, top: 8 };
  const slot = (width - pad.left) / Math.max(1, days.length);
  const bar = Math.max(1, (slot - 4) / SERIES.length);
  const y = (n: number) => pad.top + (height - pad.top - pad.bottom) * (1 - n / max);
  const totals = SERIES.map((s) => days.reduce((sum, d) => sum + value(d, s.type), 0));
  const summary = SERIES.map((s, i) => `${s.label}: ${totals[i]}`).join(', ');
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`Events per day from ${formatDay(series.since)} to ${formatDay(series.until)}. ${summary}.`}
      >
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={pad.left} x2={width} y1={y(max * f)} y2={y(max * f)} className="grid" />
            <text x={pad.left - 6} y={y(max * f) + 4} textAnchor="end" className="axis">
              {Math.round(max * f)}
            </text>
          </g>
        ))}
        {days.map((day, i) => (
          <g key={day}>
            {SERIES.map((s, j) => {
              const n = value(day, s.type);
              return (
                <rect
                  key={s.type}
                  x={pad.left + i * slot + 2 + j * bar}
                  y={y(n)}
                  width={bar}
                  height={height - pad.bottom - y(n)}
                  className={s.className}
                >
                  <title>{`${formatDay(day)} · ${s.label}: ${n}`}</title>
                </rect>
              );
            })}
            {i % Math.ceil(days.length / 8) === 0 && (
              <text x={pad.left + i * slot + slot / 2} y={height - 6} textAnchor="middle" className="axis">
                {new Date(day).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}
              </text>
            )}
          </g>
        ))}
      </svg>
      <figcaption className="legend">
        {SERIES.map((s, i) => (
          <span key={s.type}>
            <span className={`swatch ${s.className}`} aria-hidden="true" /> {s.label} (
            {formatNumber(totals[i] ?? 0)})
          </span>
        ))}
      </figcaption>
      <details>
        <summary>Show the numbers as a table</summary>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {SERIES.map((s) => (
                  <th scope="col" key={s.type} className="num">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {days.map((day) => (
                <tr key={day}>
                  <th scope="row">{formatDay(day)}</th>
                  {SERIES.map((s) => (
                    <td key={s.type} className="num">
                      {value(day, s.type)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

export function OverviewPage() {
  const [range, setRange] = useState(30);
  const overview = useAsync(() => get<Overview>('/stats/overview'), []);
  const series = useAsync(
    () =>
      get<EventSeries>('/stats/events', {
        bucket: 'day',
        since: new Date(Date.now() - (range - 1) * 86_400_000).toISOString(),
        types: SERIES.map((s) => s.type).join(','),
      }),
    [range],
  );
  return (
    <>
      <PageHeader title="Overview">Your licensing business at a glance.</PageHeader>
      {overview.error ? (
        <ErrorNote error={overview.error} onRetry={overview.reload} />
      ) : overview.data ? (
        <Counts overview={overview.data} />
      ) : (
        <Loading />
      )}
      <section className="card" aria-labelledby="activity-title">
        <div className="card-head">
          <h2 id="activity-title">Activations and validations</h2>
          <label className="inline">
            Range{' '}
            <select value={range} onChange={(e) => setRange(Number(e.target.value))}>
              <option value={7}>last 7 days</option>
              <option value={30}>last 30 days</option>
              <option value={90}>last 90 days</option>
            </select>
          </label>
        </div>
        {series.error ? (
          <ErrorNote error={series.error} onRetry={series.reload} />
        ) : series.data ? (
          <Chart series={series.data} />
        ) : (
          <Loading />
        )}
      </section>
    </>
  );
}
