// Sign-in: login and password, then the second factor (authenticator app, or a code sent
// by e-mail or SMS, or a recovery code). Back where the person was afterwards.
import { useState } from 'preact/hooks';
import { Field, Notice, Page } from '../components';
import { t } from '../messages';
import { ApiError, errorMessage, post } from '../lib/api';
import { frenchDateTime } from '../lib/format';
import { navigate, safeReturn, useLocation } from '../lib/router';
import { homeOf, signedIn, useSession } from '../lib/session';
import { wrongCodeMessage } from './factor-parts';

interface Challenge {
  challenge_id: string;
  second_factor: 'totp' | 'email' | 'sms';
}

function throttledUntil(e: ApiError): string {
  const at = /after (\S+)/.exec(e.detail)?.[1];
  return at ? t('signInThrottledUntil').replace('{at}', frenchDateTime(at)) : t('errorThrottled');
}

export function SignIn() {
  const { query } = useLocation();
  const session = useSession();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const back = safeReturn(query.get('retour'));

  async function first(event: Event) {
    event.preventDefault();
    const e: Record<string, string> = {};
    if (!login.trim()) e.login = t('signInLoginMissing');
    if (!password) e.password = t('signInPasswordMissing');
    setErrors(e);
    if (Object.keys(e).length) return;
    setBusy(true);
    try {
      const c = await post<Challenge>('/api/v1/sign-in', { login: login.trim(), password }, { expectUnauthenticated: true });
      setChallenge(c);
      setCode('');
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setErrors({ password: t('signInWrong') });
      else if (err instanceof ApiError && err.status === 429) setErrors({ form: throttledUntil(err) });
      else setErrors({ form: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  }

  async function second(event: Event) {
    event.preventDefault();
    if (!challenge) return;
    if (!code.trim()) {
      setErrors({ code: t('signInCodeMissing') });
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const s = await post<{ csrf_token: string }>(
        '/api/v1/sign-in/verify',
        { challenge_id: challenge.challenge_id, code: code.trim(), session: 'cookie' },
        { expectUnauthenticated: true },
      );
      const me = await signedIn(s.csrf_token);
      if (me) navigate(back ?? homeOf(me), { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && /expired|start again/.test(err.detail)) {
        setChallenge(null);
        setErrors({ form: t('signInStepExpired') });
      } else if (err instanceof ApiError && err.status === 401) {
        setErrors({ code: wrongCodeMessage(challenge.second_factor) });
      } else if (err instanceof ApiError && err.status === 429) {
        setErrors({ form: throttledUntil(err) });
      } else {
        setErrors({ form: errorMessage(err) });
      }
    } finally {
      setBusy(false);
    }
  }

  const codeHint =
    challenge?.second_factor === 'totp'
      ? t('signInCodeHintTotp')
      : challenge?.second_factor === 'sms'
        ? t('signInCodeHintSms')
        : t('signInCodeHintEmail');

  return (
    <Page title={t('signInTitle')}>
      {session.ended && <Notice kind="info">{t('signInSessionEnded')}</Notice>}
      {query.get('au-revoir') && <Notice kind="success">{t('signInSignedOut')}</Notice>}
      {query.get('nouveau-mot-de-passe') && <Notice kind="success">{t('signInPasswordReset')}</Notice>}
      {errors.form && <Notice kind="error">{errors.form}</Notice>}
      {!challenge ? (
        <form onSubmit={first} noValidate>
          <Field id="login" label={t('signInLogin')} hint={t('signInLoginHint')} type="email" autocomplete="username" value={login} onValue={setLogin} error={errors.login} required />
          <Field id="password" label={t('signInPassword')} type="password" autocomplete="current-password" value={password} onValue={setPassword} error={errors.password} required />
          <p>
            <a href="/mot-de-passe-oublie">{t('signInForgotten')}</a>
          </p>
          <button type="submit" class="principal" disabled={busy}>
            {t('signInContinue')}
          </button>
        </form>
      ) : (
        <form onSubmit={second} noValidate>
          <p>{t('signInSecondStep')}</p>
          <Field
            id="code"
            label={t('signInCode')}
            hint={codeHint + ' ' + t('signInRecoveryHint')}
            autocomplete="one-time-code"
            inputMode={challenge.second_factor === 'totp' ? 'numeric' : undefined}
            value={code}
            onValue={setCode}
            error={errors.code}
            required
          />
          <div class="actions">
            <button type="submit" class="principal" disabled={busy}>
              {t('signInSubmit')}
            </button>
            <button type="button" class="secondaire" onClick={() => setChallenge(null)}>
              {t('back')}
            </button>
          </div>
        </form>
      )}
      <section class="encart">
        <h2>{t('signInNoAccountTitle')}</h2>
        <p>{t('signInNoAccount')}</p>
        <p>
          <a href="/activation">{t('activateLink')}</a>
        </p>
      </section>
    </Page>
  );
}
