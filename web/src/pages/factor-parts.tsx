// Pieces shared by activation and the security page: how a new second factor is proven (the
// QR code and secret of an authenticator app, or where the code was sent), the factors one
// may choose, and recovery codes shown once.
import { Field } from '../components';
import { ApiError, errorMessage } from '../lib/api';
import { t } from '../messages';

export type Factor = 'totp' | 'email' | 'sms';

export interface FactorStarted {
  second_factor: Factor;
  otpauth_uri?: string;
  qr_svg?: string;
}

// The base32 secret of an otpauth URI, in groups of four for typing into an app by hand.
function secretOf(uri: string | undefined): string {
  if (!uri) return '';
  const secret = new URL(uri.replace(/^otpauth:/, 'https:')).searchParams.get('secret') ?? '';
  return secret.replace(/(.{4})/g, '$1 ').trim();
}

// Holders may use any factor; professionals an app or e-mail; operators only an app.
export function factorOptions(kind: 'holder' | 'professional' | 'operator') {
  const options = [{ value: 'totp', label: t('factorTotp'), hint: t('factorTotpHint') }];
  if (kind !== 'operator') options.push({ value: 'email', label: t('factorEmail'), hint: t('factorEmailHint') });
  if (kind === 'holder') options.push({ value: 'sms', label: t('factorSms'), hint: t('factorSmsHint') });
  return options;
}

// The new factor to prove (QR code and secret, or where the code went) and the field for its
// first code.
export function FactorProof(props: { started: FactorStarted; id: string; otp: string; onOtp: (v: string) => void; error?: string }) {
  const { started } = props;
  return (
    <>
      {started.second_factor !== 'totp' ? (
        <p>{started.second_factor === 'sms' ? t('codeSentSms') : t('codeSentEmail')}</p>
      ) : (
        <>
          <p>{t('totpScan')}</p>
          {/* The server's own SVG (libqrencode), not user input. */}
          {started.qr_svg && <div class="qr" dangerouslySetInnerHTML={{ __html: started.qr_svg }} />}
          <p>
            {t('totpManual')} <code class="secret">{secretOf(started.otpauth_uri)}</code>
          </p>
        </>
      )}
      <Field id={props.id} label={t('signInCode')} hint={started.second_factor === 'totp' ? t('signInCodeHintTotp') : undefined} inputMode="numeric" autocomplete="one-time-code" value={props.otp} onValue={props.onOtp} error={props.error} required />
    </>
  );
}

// "This code is wrong", with what to check for this kind of factor.
export function wrongCodeMessage(factor: string | undefined): string {
  return factor === 'email' || factor === 'sms' ? t('signInCodeWrongSent') : t('signInCodeWrong');
}

// What a refused first code means: the pending factor expired (start again), or the code is wrong.
export function codeRefusal(err: unknown, factor: string): { expired: boolean; errors: Record<string, string> } {
  if (err instanceof ApiError && err.status === 401 && /expired|start again/.test(err.detail)) {
    return { expired: true, errors: { form: t('signInStepExpired') } };
  }
  if (err instanceof ApiError && err.status === 401) return { expired: false, errors: { otp: wrongCodeMessage(factor) } };
  return { expired: false, errors: { form: errorMessage(err) } };
}

export function RecoveryCodes({ codes, headingId }: { codes: string[]; headingId?: string }) {
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{t('recoveryTitle')}</h2>
      <p>{t('recoveryExplain')}</p>
      <ul class="codes-secours">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
    </section>
  );
}
