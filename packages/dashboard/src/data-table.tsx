import type { ReactNode } from 'react';

/** A column's heading: its name, or the name with how it shows (numbers align right; a hidden name is read out only). */
export type Column = string | { label: string; numeric?: boolean; hidden?: boolean };

/**
 * A list as a table: scrolls sideways on a narrow screen, captioned for screen readers, one heading per column;
 * the children are its rows. `busy` marks a table being refreshed in place.
 */
export function DataTable({
  caption,
  columns,
  className,
  busy,
  live,
  children,
}: {
  caption: string;
  columns: readonly Column[];
  className?: string;
  busy?: boolean;
  /** Rows that change on their own (a running import) are announced. */
  live?: boolean;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap" aria-busy={busy}>
      <table className={className} aria-live={live ? 'polite' : undefined}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => {
              const { label, numeric, hidden } = typeof column === 'string' ? { label: column } : column;
              return (
                <th key={label} scope="col" className={numeric ? 'num' : undefined}>
                  {hidden ? <span className="sr-only">{label}</span> : label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
