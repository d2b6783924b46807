// Who is signed in, for the whole portal: loaded once from /api/v1/me, changed by sign-in,
// sign-out, switching spaces, and by any 401 (the session ended).
import { useEffect, useState } from 'preact/hooks';
import { get, post, setCsrfToken, whenSessionEnds } from './api';
import { navigate } from './router';

export type AccountKind = 'holder' | 'professional' | 'operator';

export interface Me {
  account_id: string;
  kind: AccountKind;
  idnatps?: string;
  space_id?: string;
  acting_space_id?: string;
  session_id: string;
  csrf_token?: string;
  first_name?: string;
  previous_visit_at?: string;
  second_factor?: 'totp' | 'email' | 'sms';
  recovery_codes_left?: number;
}

export interface SessionState {
  loading: boolean;
  me: Me | null;
  // Set when a session ended under the person's feet: sign-in says so.
  ended: boolean;
}

let state: SessionState = { loading: true, me: null, ended: false };
const listeners = new Set<(s: SessionState) => void>();

function set(next: Partial<SessionState>): void {
  state = { ...state, ...next };
  if (state.me?.csrf_token) setCsrfToken(state.me.csrf_token);
  listeners.forEach((l) => l(state));
}

export function useSession(): SessionState {
  const [s, setS] = useState(state);
  useEffect(() => {
    listeners.add(setS);
    setS(state);
    return () => {
      listeners.delete(setS);
    };
  }, []);
  return s;
}

export async function refresh(): Promise<Me | null> {
  try {
    const me = await get<Me>('/api/v1/me', { expectUnauthenticated: true });
    set({ loading: false, me, ended: false });
    return me;
  } catch {
    set({ loading: false, me: null });
    return null;
  }
}

export function signedIn(csrf: string): Promise<Me | null> {
  setCsrfToken(csrf);
  return refresh();
}

export async function signOut(): Promise<void> {
  try {
    await post('/api/v1/sign-out');
  } finally {
    setCsrfToken('');
    set({ me: null, ended: false });
    navigate('/connexion?au-revoir=1', { replace: true });
  }
}

export function homeOf(me: Me): string {
  if (me.kind === 'professional') return '/pro';
  if (me.kind === 'operator') return '/operateur';
  return '/espace';
}

// A request answered 401: back to sign-in, remembering where the person was.
whenSessionEnds(() => {
  if (!state.me) return;
  setCsrfToken('');
  set({ me: null, ended: true });
  const here = window.location.pathname + window.location.search;
  navigate('/connexion?retour=' + encodeURIComponent(here), { replace: true });
});
