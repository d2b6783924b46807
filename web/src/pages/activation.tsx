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

type Factor = 'totp' | 'email' | 'sms';

interface Started {
  activation_id: string;
  second_factor: Factor;
  otpauth_uri?: string;
  qr_svg?: string;
}

function secretOf(uri: string | undefined): string {
  if (!uri) return '';
  const secret = new URL(uri.replace(/^otpauth:/, 'https:')).searchParams.get('secret') ?? '';
  return secret.replace(/(.{4})/g, '$1 ').trim();
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
      if (err instanceof ApiError && err.status === 401 && /expired|start again/.test(err.detail)) {
        setStep(1);
        setErrors({ form: t('signInStepExpired') });
      } else if (err instanceof ApiError && err.status === 401) {
        setErrors({ otp: t('signInCodeWrong') });
      } else {
        setErrors({ form: errorMessage(err) });
      }
    } finally {
      setBusy(false);
    }
  }

  if (recovery) {
    return (
      <Page title={t('activationDoneTitle')}>
        <Notice kind="success">{t('activationDone')}</Notice>
        {recovery.length > 0 && (
          <section>
            <h2>{t('recoveryTitle')}</h2>
            <p>{t('recoveryExplain')}</p>
            <ul class="codes-secours">
              {recovery.map((c) => (
                <li key={c}>
                  <code>{c}</code>
                </li>
              ))}
            </ul>
          </section>
        )}
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
            options={[
              { value: 'totp', label: t('factorTotp'), hint: t('factorTotpHint') },
              { value: 'email', label: t('factorEmail'), hint: t('factorEmailHint') },
              { value: 'sms', label: t('factorSms'), hint: t('factorSmsHint') },
            ]}
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
          {started.second_factor === 'totp' ? (
            <>
              <p>{t('totpScan')}</p>
              {started.qr_svg && <div class="qr" dangerouslySetInnerHTML={{ __html: started.qr_svg }} />}
              <p>
                {t('totpManual')} <code class="secret">{secretOf(started.otpauth_uri)}</code>
              </p>
            </>
          ) : (
            <p>{started.second_factor === 'sms' ? t('codeSentSms') : t('codeSentEmail')}</p>
          )}
          <Field id="otp" label={t('signInCode')} hint={started.second_factor === 'totp' ? t('signInCodeHintTotp') : undefined} inputMode="numeric" autocomplete="one-time-code" value={otp} onValue={setOtp} error={errors.otp} required />
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
