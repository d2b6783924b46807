// Security of the account: devices and sessions signed in (end any of them), the password.
import { useEffect, useState } from 'preact/hooks';
import { Field, Loading, Notice, Page } from '../components';
import { t } from '../messages';
import { ApiError, del, errorMessage, get, post } from '../lib/api';
import { passwordMessage } from '../lib/checks';
import { frenchDateTime } from '../lib/format';
import { signOut } from '../lib/session';

interface SessionEntry {
  session_id: string;
  kind: 'cookie' | 'bearer';
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  client_address?: string;
  user_agent?: string;
  current: boolean;
}

// "Chrome sur Android" from a user agent, good enough to recognise one's devices.
function device(ua: string | undefined): string {
  if (!ua) return t('deviceUnknown');
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : t('deviceApp');
  const system = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows' : /Mac OS/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : '';
  return system ? t('deviceOn').replace('{browser}', browser).replace('{system}', system) : browser;
}

function PasswordChange() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState(false);
  async function change(event: Event) {
    event.preventDefault();
    const e: Record<string, string> = {};
    if (!current) e.current = t('signInPasswordMissing');
    if (next.length < 12) e.next = t('passwordTooShort');
    setErrors(e);
    if (Object.keys(e).length) return;
    try {
      await post('/api/v1/password', { current_password: current, new_password: next });
      setCurrent('');
      setNext('');
      setDone(true);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setErrors({ current: t('passwordCurrentWrong') });
      else if (err instanceof ApiError && err.status === 400) setErrors({ next: passwordMessage(err.detail) });
      else setErrors({ form: errorMessage(err) });
    }
  }
  return (
    <section aria-labelledby="mdp-titre">
      <h2 id="mdp-titre">{t('passwordTitle')}</h2>
      {done && <Notice kind="success">{t('passwordChanged')}</Notice>}
      {errors.form && <Notice kind="error">{errors.form}</Notice>}
      <form onSubmit={change} noValidate>
        <Field id="mdp-actuel" label={t('passwordCurrent')} type="password" autocomplete="current-password" value={current} onValue={setCurrent} error={errors.current} required />
        <Field id="mdp-nouveau" label={t('passwordNew')} hint={t('passwordRules')} type="password" autocomplete="new-password" value={next} onValue={setNext} error={errors.next} required />
        <button type="submit" class="principal">
          {t('passwordSubmit')}
        </button>
      </form>
    </section>
  );
}

export function Security() {
  const [sessions, setSessions] = useState<SessionEntry[] | null>(null);
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    get<{ sessions: SessionEntry[] }>('/api/v1/sessions').then(
      (r) => setSessions(r.sessions),
      (e) => setMessage({ kind: 'error', text: errorMessage(e) }),
    );
  }, [version]);

  async function end(s: SessionEntry) {
    if (s.current) {
      await signOut();
      return;
    }
    try {
      await del(`/api/v1/sessions/${s.session_id}`);
      setMessage({ kind: 'success', text: t('sessionEnded') });
      setVersion(version + 1);
    } catch (e) {
      setMessage({ kind: 'error', text: errorMessage(e) });
    }
  }

  return (
    <Page title={t('securityTitle')}>
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
      <section aria-labelledby="sessions-titre">
        <h2 id="sessions-titre">{t('sessionsTitle')}</h2>
        <p>{t('sessionsIntro')}</p>
        {sessions === null ? (
          <Loading />
        ) : (
          <ul class="liste-acces">
            {sessions.map((s) => (
              <li key={s.session_id}>
                <p>
                  <strong>{device(s.user_agent)}</strong>
                  {s.current && <span class="badge"> {t('sessionThisOne')}</span>}
                  <br />
                  {t('sessionSince').replace('{date}', frenchDateTime(s.created_at))} · {t('sessionLastSeen').replace('{date}', frenchDateTime(s.last_seen_at))}
                </p>
                <button type="button" class="secondaire petit" onClick={() => void end(s)}>
                  {s.current ? t('signOut') : t('sessionEnd')}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <PasswordChange />
      <section aria-labelledby="facteur-titre">
        <h2 id="facteur-titre">{t('factorTitle')}</h2>
        <p>{t('factorIntro')}</p>
      </section>
    </Page>
  );
}
