// Forgotten password: the login, then the code e-mailed to it and a new password. The
// second factor is still asked at the next sign-in; every session is ended.
import { useState } from 'preact/hooks';
import { Field, Notice, Page, Steps } from '../components';
import { t } from '../messages';
import { ApiError, errorMessage, post } from '../lib/api';
import { compactCode } from '../lib/format';
import { navigate } from '../lib/router';
import { passwordMessage } from '../lib/checks';

export function ForgottenPassword() {
  const [step, setStep] = useState(0);
  const [login, setLogin] = useState('');
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function ask(event: Event) {
    event.preventDefault();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(login.trim())) {
      setErrors({ login: t('loginInvalid') });
      return;
    }
    setBusy(true);
    try {
      await post('/api/v1/password-reset', { login: login.trim() }, { expectUnauthenticated: true });
      setErrors({});
      setStep(1);
    } catch (err) {
      setErrors({ form: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  }

  async function reset(event: Event) {
    event.preventDefault();
    const e: Record<string, string> = {};
    if (!compactCode(code)) e.code = t('signInCodeMissing');
    if (password.length < 12) e.password = t('passwordTooShort');
    setErrors(e);
    if (Object.keys(e).length) return;
    setBusy(true);
    try {
      await post('/api/v1/password-reset/confirm', { login: login.trim(), code: compactCode(code), password }, { expectUnauthenticated: true });
      navigate('/connexion?nouveau-mot-de-passe=1', { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setErrors({ code: t('resetCodeWrong') });
      else if (err instanceof ApiError && err.status === 400) setErrors({ password: passwordMessage(err.detail) });
      else setErrors({ form: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title={t('resetTitle')}>
      <Steps labels={[t('resetStep1'), t('resetStep2')]} current={step} />
      {errors.form && <Notice kind="error">{errors.form}</Notice>}
      {step === 0 ? (
        <form onSubmit={ask} noValidate>
          <p>{t('resetIntro')}</p>
          <Field id="login" label={t('signInLogin')} type="email" autocomplete="username" value={login} onValue={setLogin} error={errors.login} required />
          <button type="submit" class="principal" disabled={busy}>
            {t('resetSend')}
          </button>
        </form>
      ) : (
        <form onSubmit={reset} noValidate>
          <Notice kind="info">{t('resetSent')}</Notice>
          <Field id="code" label={t('resetCode')} autocomplete="one-time-code" value={code} onValue={setCode} error={errors.code} required />
          <Field id="password" label={t('passwordNew')} hint={t('passwordRules')} type="password" autocomplete="new-password" value={password} onValue={setPassword} error={errors.password} required />
          <div class="actions">
            <button type="submit" class="principal" disabled={busy}>
              {t('resetSubmit')}
            </button>
            <button type="button" class="secondaire" onClick={() => setStep(0)}>
              {t('back')}
            </button>
          </div>
        </form>
      )}
    </Page>
  );
}
