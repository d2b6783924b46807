// Activation in three short steps, with a progress indicator: (1) the letter's code with the
// social security number and birth date, (2) the login, password and second factor, (3) the
// second factor confirmed (QR code for an authenticator app, or a code sent). Going back
// keeps everything typed; pasting works everywhere; the code is accepted with or without
// spaces, dashes or capitals.
import { useState } from 'preact/hooks';
import { Choice, Field, Notice, Page, Steps } from '../components';
import { t } from '../messages';
import { ApiError, errorMessage, post } from '../lib/api';
import { identityErrors, passwordMessage } from '../lib/checks';
import { compactCode, compactNir, parseFrenchDate } from '../lib/format';
import { navigate } from '../lib/router';
import { signedIn } from '../lib/session';
import { Factor, FactorProof, FactorStarted, RecoveryCodes, codeRefusal, factorOptions } from './factor-parts';

interface Started extends FactorStarted {
  activation_id: string;
}

export function Activation() {
  const [step, setStep] = useState(0);
  const [nir, setNir] = useState('');
  const [birth, setBirth] = useState('');
  const [code, setCode] = useState('');
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [showPassword, setShowPassword] = useState(false);
  const [factor, setFactor] = useState<Factor>('totp');
  const [started, setStarted] = useState<Started | null>(null);
  const [otp, setOtp] = useState('');
  const [recovery, setRecovery] = useState<string[] | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const labels = [t('activationStep1'), t('activationStep2'), t('activationStep3')];

  function toSecond(event: Event) {
    event.preventDefault();
    const e = identityErrors({ nir, birth, code });
    setErrors(e);
    if (!Object.keys(e).length) setStep(1);
  }

  async function toThird(event: Event) {
    event.preventDefault();
    const e: Record<string, string> = {};
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(login.trim())) e.login = t('loginInvalid');
    if (password.length < 12) e.password = t('passwordTooShort');
    setErrors(e);
    if (Object.keys(e).length) return;
    setBusy(true);
    try {
      const s = await post<Started>(
        '/api/v1/activation',
        {
          nir: compactNir(nir),
          birth_date: parseFrenchDate(birth) ?? '',
          code: compactCode(code),
          login: login.trim(),
          password,
          second_factor: factor,
        },
        { expectUnauthenticated: true },
      );
      setStarted(s);
      setOtp('');
      setStep(2);
    } catch (err) {
      if (!(err instanceof ApiError)) {
        setErrors({ form: errorMessage(err) });
      } else if (err.status === 401) {
        setStep(0);
        setErrors({ form: t('activationNoMatch'), code: t('activationCheckCode') });
      } else if (err.status === 403 && /minor/i.test(err.detail)) {
        setStep(0);
        setErrors({ form: t('activationMinor') });
      } else if (err.status === 403) {
        setStep(0);
        setErrors({ form: t('activationLocked') });
      } else if (err.status === 409 && /login/.test(err.detail)) {
        setErrors({ login: t('loginTaken') });
      } else if (err.status === 409) {
        setStep(0);
        setErrors({ code: t('codeExpired') });
      } else if (err.status === 400 && /^login/.test(err.detail)) {
        setErrors({ login: t('loginInvalid') });
      } else if (err.status === 400 && /^password/.test(err.detail)) {
        setErrors({ password: passwordMessage(err.detail) });
      } else if (err.status === 400 && /mobile|sms/i.test(err.detail)) {
        setErrors({ factor: t('factorNoMobile') });
      } else if (err.status === 400 && /nir|social|birth/i.test(err.detail)) {
        setStep(0);
        setErrors({ nir: t('nirKey') });
      } else {
        setErrors({ form: errorMessage(err) });
      }
    } finally {
      setBusy(false);
    }
  }

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
      const done = await post<{ csrf_token: string; recovery_codes?: string[] }>(
        '/api/v1/activation/confirm',
        { activation_id: started.activation_id, code: otp.trim(), session: 'cookie' },
        { expectUnauthenticated: true },
      );
      await signedIn(done.csrf_token);
      setRecovery(done.recovery_codes ?? []);
    } catch (err) {
      const refused = codeRefusal(err, started.second_factor);
      if (refused.expired) setStep(1);
      setErrors(refused.errors);
    } finally {
      setBusy(false);
    }
  }

  if (recovery) {
    return (
      <Page title={t('activationDoneTitle')}>
        <Notice kind="success">{t('activationDone')}</Notice>
        {recovery.length > 0 && <RecoveryCodes codes={recovery} />}
        <button type="button" class="principal" onClick={() => navigate('/espace', { replace: true })}>
          {t('activationGoToSpace')}
        </button>
      </Page>
    );
  }

  return (
    <Page title={t('activationTitle')}>
      <Steps labels={labels} current={step} />
      {errors.form && <Notice kind="error">{errors.form}</Notice>}
      {step === 0 && (
        <form onSubmit={toSecond} noValidate>
          <p>{t('activationIntro')}</p>
          <Field id="nir" label={t('nirLabel')} hint={t('nirHint')} inputMode="numeric" autocomplete="off" value={nir} onValue={setNir} error={errors.nir} required />
          <Field id="birth" label={t('birthDateLabel')} hint={t('birthDateHint')} autocomplete="bday" inputMode="numeric" value={birth} onValue={setBirth} error={errors.birth} required />
          <Field id="code" label={t('codeLabel')} hint={t('codeHint')} autocomplete="off" autocapitalize="characters" spellcheck={false} value={code} onValue={setCode} error={errors.code} required />
          <button type="submit" class="principal">
            {t('next')}
          </button>
        </form>
      )}
      {step === 1 && (
        <form onSubmit={toThird} noValidate>
          <Field id="login" label={t('activationLogin')} hint={t('activationLoginHint')} type="email" autocomplete="username" value={login} onValue={setLogin} error={errors.login} required />
          <Field
            id="password"
            label={t('activationPassword')}
            hint={t('passwordRules')}
            type={showPassword ? 'text' : 'password'}
            autocomplete="new-password"
            value={password}
            onValue={setPassword}
            error={errors.password}
            required
          />
          <div class="option">
            <input type="checkbox" id="show-password" checked={showPassword} onChange={() => setShowPassword(!showPassword)} />
            <label for="show-password">{t('showPassword')}</label>
          </div>
          <Choice
            name="factor"
            legend={t('factorLegend')}
            value={factor}
            onValue={(v) => setFactor(v as Factor)}
            error={errors.factor}
            options={factorOptions('holder')}
          />
          <div class="actions">
            <button type="submit" class="principal" disabled={busy}>
              {t('next')}
            </button>
            <button type="button" class="secondaire" onClick={() => { setErrors({}); setStep(0); }}>
              {t('back')}
            </button>
          </div>
        </form>
      )}
      {step === 2 && started && (
        <form onSubmit={confirm} noValidate>
          <FactorProof started={started} id="otp" otp={otp} onOtp={setOtp} error={errors.otp} />
          <div class="actions">
            <button type="submit" class="principal" disabled={busy}>
              {t('activationFinish')}
            </button>
            <button type="button" class="secondaire" onClick={() => { setErrors({}); setStep(1); }}>
              {t('back')}
            </button>
          </div>
        </form>
      )}
    </Page>
  );
}
