// Opposition to the space's creation, within the six weeks after the notice: social
// security number, birth date and the letter's code. Final: the space and its data are erased.
import { useState } from 'preact/hooks';
import { Field, Notice, Page } from '../components';
import { t } from '../messages';
import { ApiError, errorMessage, post } from '../lib/api';
import { identityErrors } from '../lib/checks';
import { compactCode, compactNir, frenchDate, parseFrenchDate } from '../lib/format';

export function Opposition() {
  const [nir, setNir] = useState('');
  const [birth, setBirth] = useState('');
  const [code, setCode] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  function check(event: Event) {
    event.preventDefault();
    const e = identityErrors({ nir, birth, code });
    setErrors(e);
    if (!Object.keys(e).length) setConfirming(true);
  }

  async function oppose() {
    setBusy(true);
    try {
      await post('/api/v1/opposition', { nir: compactNir(nir), birth_date: parseFrenchDate(birth) ?? '', code: compactCode(code) }, { expectUnauthenticated: true });
      setDone(true);
    } catch (err) {
      setConfirming(false);
      if (err instanceof ApiError && err.status === 409 && /opposition period ended on (\S+)/.test(err.detail)) {
        const at = /ended on (\S+)/.exec(err.detail)?.[1] ?? '';
        setErrors({ form: t('errorTooLate').replace('{date}', frenchDate(at)) });
      } else if (err instanceof ApiError && err.status === 409) {
        setErrors({ code: t('codeExpired') });
      } else {
        setErrors({ form: errorMessage(err, { 401: 'errorNoMatch', 403: 'errorLocked' }) });
      }
    } finally {
      setBusy(false);
    }
  }

  if (done) {
    return (
      <Page title={t('opposeTitle')}>
        <Notice kind="success">{t('opposeDone')}</Notice>
        <p>
          <a href="/">{t('backHome')}</a>
        </p>
      </Page>
    );
  }
  return (
    <Page title={t('opposeTitle')}>
      <p>{t('opposeIntro')}</p>
      {errors.form && <Notice kind="error">{errors.form}</Notice>}
      {!confirming ? (
        <form onSubmit={check} noValidate>
          <Field id="nir" label={t('nirLabel')} hint={t('nirHint')} inputMode="numeric" autocomplete="off" value={nir} onValue={setNir} error={errors.nir} required />
          <Field id="birth" label={t('birthDateLabel')} hint={t('birthDateHint')} inputMode="numeric" autocomplete="bday" value={birth} onValue={setBirth} error={errors.birth} required />
          <Field id="code" label={t('codeLabel')} hint={t('codeHint')} autocomplete="off" spellcheck={false} value={code} onValue={setCode} error={errors.code} required />
          <button type="submit" class="principal">
            {t('next')}
          </button>
        </form>
      ) : (
        <section class="encart encart-alerte" aria-labelledby="confirmer-titre">
          <h2 id="confirmer-titre">{t('opposeConfirmTitle')}</h2>
          <p>{t('opposeConfirm')}</p>
          <div class="actions">
            <button type="button" class="danger" disabled={busy} onClick={() => void oppose()}>
              {t('opposeSubmit')}
            </button>
            <button type="button" class="secondaire" onClick={() => setConfirming(false)}>
              {t('back')}
            </button>
          </div>
        </section>
      )}
      <p>
        <a href="/">{t('backHome')}</a>
      </p>
    </Page>
  );
}
