import { createContext, useContext } from 'react';
import { hasScope, type SessionState } from './api';

export interface SessionContextValue {
  session: SessionState;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionContextValue>({
  session: { signedIn: false },
  signOut: async () => {},
});

export const useSession = () => useContext(SessionContext);

/** Whether the signed-in user's role grants a scope; controls that would be refused are not offered. */
export function useCan(scope: string): boolean {
  return hasScope(useSession().session, scope);
}
