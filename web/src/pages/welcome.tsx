// The public home: what Carnet is, and the three things a person comes here to do.
import { Page } from '../components';
import { t } from '../messages';

export function Welcome() {
  return (
    <Page title={t('title')}>
      <p class="chapeau">{t('intro')}</p>
      <ul class="cartes">
        <li class="carte">
          <h2>{t('welcomeSignInTitle')}</h2>
          <p>{t('welcomeSignIn')}</p>
          <a class="bouton principal" href="/connexion">
            {t('signInTitle')}
          </a>
        </li>
        <li class="carte">
          <h2>{t('welcomeActivateTitle')}</h2>
          <p>{t('welcomeActivate')}</p>
          <a class="bouton secondaire" href="/activation">
            {t('activateLink')}
          </a>
        </li>
        <li class="carte">
          <h2>{t('welcomeOpposeTitle')}</h2>
          <p>{t('welcomeOppose')}</p>
          <a href="/opposition">{t('opposeLink')}</a>
        </li>
      </ul>
      <p>
        <a href="/comprendre">{t('welcomeUnderstand')}</a>
      </p>
    </Page>
  );
}
