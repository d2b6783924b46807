// Security of the account: devices and sessions signed in (end any of them), the password, the
// second factor (changed only once the new one has given its first code) and recovery codes.
import { useEffect, useState } from 'preact/hooks';
import { Choice, Field, Loading, Notice, Page } from '../components';
import { t } from '../messages';
import { ApiError, del, errorMessage, get, post } from '../lib/api';
import { passwordMessage } from '../lib/checks';
import { frenchDateTime } from '../lib/format';
import { refresh, signOut, useSession } from '../lib/session';
import { Factor, FactorProof, FactorStarted, RecoveryCodes, codeRefusal, factorOptions } from './factor-parts';

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
      await post('/api/v1/password', { current_password: current, new_password: next }, { reauthenticates: true });
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

interface ChangeStarted extends FactorStarted {
  change_id: string;
}

function factorName(f: string | undefined): string {
  return f === 'totp' ? t('factorNameTotp') : f === 'sms' ? t('factorNameSms') : t('factorNameEmail');
}

function SubmitOrCancel(props: { label: string; busy: boolean; onCancel: () => void }) {
  return (
    <div class="actions">
      <button type="submit" class="principal" disabled={props.busy}>
        {props.label}
      </button>
      <button type="button" class="secondaire" onClick={props.onCancel}>
        {t('cancel')}
      </button>
    </div>
  );
}

// The factor in use, a change of factor in two steps (password and choice, then the first
// code of the new one), and new recovery codes.
function SecondFactor() {
  const { me } = useSession();
  const [mode, setMode] = useState<'idle' | 'change' | 'renew'>('idle');
  const [password, setPassword] = useState('');
  const [factor, setFactor] = useState<Factor>('totp');
  const [started, setStarted] = useState<ChangeStarted | null>(null);
  const [otp, setOtp] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [done, setDone] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  function reset(next: typeof mode) {
    setMode(next);
    setPassword('');
    setStarted(null);
    setOtp('');
    setErrors({});
    if (next !== 'idle') {
      setCodes(null);
      setDone('');
    }
  }

  // The password asked again, then `action`; a wrong password shows next to its field.
  async function withPassword(event: Event, action: () => Promise<void>) {
    event.preventDefault();
    if (!password) {
      setErrors({ password: t('signInPasswordMissing') });
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      await action();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setErrors({ password: t('passwordCurrentWrong') });
      else if (err instanceof ApiError && err.status === 400 && /mobile|sms/i.test(err.detail)) setErrors({ factor: t('factorNoMobile') });
      else setErrors({ form: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  }

  const start = (event: Event) =>
    withPassword(event, async () => {
      setStarted(await post<ChangeStarted>('/api/v1/second-factor', { current_password: password, second_factor: factor }, { reauthenticates: true }));
      setPassword('');
    });

  const renew = (event: Event) =>
    withPassword(event, async () => {
      const r = await post<{ recovery_codes: string[] }>('/api/v1/recovery-codes', { current_password: password }, { reauthenticates: true });
      reset('idle');
      setCodes(r.recovery_codes);
      setDone(t('recoveryRenewed'));
      await refresh();
    });

  async function confirm(event: Event) {
    event.preventDefault();
    if (!started) return;
    if (!otp.trim()) {
      setErrors({ otp: t('signInCodeMissing') });
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const r = await post<{ recovery_codes: string[] }>('/api/v1/second-factor/confirm', { change_id: started.change_id, code: otp.trim() }, { reauthenticates: true });
      reset('idle');
      setCodes(r.recovery_codes);
      setDone(t('factorChanged'));
      await refresh();
    } catch (err) {
      const refused = codeRefusal(err, started.second_factor);
      if (refused.expired) reset('change');
      setErrors(refused.errors);
    } finally {
      setBusy(false);
    }
  }

  const left = me?.recovery_codes_left ?? 0;
  return (
    <section aria-labelledby="facteur-titre">
      <h2 id="facteur-titre">{t('factorTitle')}</h2>
      <p>{t('factorIntro')}</p>
      {me?.second_factor && (
        <p>
          {t('factorInUse').replace('{factor}', factorName(me.second_factor))}{' '}
          {left === 0 ? t('recoveryNoneLeft') : left === 1 ? t('recoveryOneLeft') : t('recoveryLeft').replace('{n}', String(left))}
        </p>
      )}
      {done && <Notice kind="success">{done}</Notice>}
      {codes && <RecoveryCodes codes={codes} headingId="codes-titre" />}
      {errors.form && <Notice kind="error">{errors.form}</Notice>}
      {mode === 'idle' && (
        <div class="actions">
          <button type="button" class="secondaire" onClick={() => reset('change')}>
            {t('factorChange')}
          </button>
          <button type="button" class="secondaire" onClick={() => reset('renew')}>
            {t('recoveryRenew')}
          </button>
        </div>
      )}
      {mode === 'change' && !started && (
        <form onSubmit={start} noValidate>
          <Choice name="nouveau-facteur" legend={t('factorNewLegend')} value={factor} onValue={(v) => setFactor(v as Factor)} error={errors.factor} options={factorOptions(me?.kind ?? 'holder')} />
          <Field id="facteur-mdp" label={t('factorPassword')} type="password" autocomplete="current-password" value={password} onValue={setPassword} error={errors.password} required />
          <SubmitOrCancel label={t('next')} busy={busy} onCancel={() => reset('idle')} />
        </form>
      )}
      {mode === 'change' && started && (
        <form onSubmit={confirm} noValidate>
          <FactorProof started={started} id="facteur-code" otp={otp} onOtp={setOtp} error={errors.otp} />
          <p class="aide">{t('factorChangeEffect')}</p>
          <SubmitOrCancel label={t('factorConfirm')} busy={busy} onCancel={() => reset('idle')} />
        </form>
      )}
      {mode === 'renew' && (
        <form onSubmit={renew} noValidate>
          <p>{t('recoveryRenewExplain')}</p>
          <Field id="codes-mdp" label={t('factorPassword')} type="password" autocomplete="current-password" value={password} onValue={setPassword} error={errors.password} required />
          <SubmitOrCancel label={t('recoveryRenewSubmit')} busy={busy} onCancel={() => reset('idle')} />
        </form>
      )}
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
      <SecondFactor />
    </Page>
  );
}
