import type { ReactNode } from 'react';
import { ErrorNote, Loading } from './ui';

/** What `useAsync` answers, as far as showing it goes. */
export interface Loadable<D> {
  data?: D;
  error?: unknown;
  reload: () => void;
}

/**
 * A loaded list's states in the order a page shows them: the error with a retry, the spinner, the empty
 * note, then the rows. `rows` picks the list out of the answer (or a filtered view of it).
 */
export function Loaded<D, R>({
  state,
  rows,
  empty,
  loadingLabel,
  onRetry = state.reload,
  children,
}: {
  state: Loadable<D>;
  rows: (data: D) => readonly R[];
  empty: ReactNode;
  loadingLabel?: string;
  onRetry?: () => void;
  children: (rows: readonly R[], data: D) => ReactNode;
}) {
  if (state.error) return <ErrorNote error={state.error} onRetry={onRetry} />;
  if (!state.data) return <Loading label={loadingLabel} />;
  const list = rows(state.data);
  return <>{list.length === 0 ? empty : children(list, state.data)}</>;
}
