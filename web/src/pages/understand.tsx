// Who can see what, in plain words: what people fear most about a shared health record.
import { Page } from '../components';
import { t } from '../messages';

export function Understand() {
  return (
    <Page title={t('understandTitle')}>
      <p class="chapeau">{t('understandIntro')}</p>
      <h2>{t('understandWhatTitle')}</h2>
      <p>{t('understandWhat')}</p>
      <h2>{t('understandWhoTitle')}</h2>
      <ul>
        <li>{t('understandWhoYou')}</li>
        <li>{t('understandWhoPros')}</li>
        <li>{t('understandWhoEmergency')}</li>
        <li>{t('understandWhoNever')}</li>
      </ul>
      <h2>{t('understandControlTitle')}</h2>
      <ul>
        <li>{t('understandControlHide')}</li>
        <li>{t('understandControlBlock')}</li>
        <li>{t('understandControlHistory')}</li>
        <li>{t('understandControlClose')}</li>
      </ul>
      <h2>{t('understandOpposeTitle')}</h2>
      <p>{t('understandOppose')}</p>
      <p>
        <a href="/opposition">{t('opposeLink')}</a>
      </p>
    </Page>
  );
}
