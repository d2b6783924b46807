import { Page } from '../components';
import { t } from '../messages';

export function NotFound() {
  return (
    <Page title={t('notFoundTitle')}>
      <p>{t('notFound')}</p>
      <p>
        <a href="/">{t('backHome')}</a>
      </p>
    </Page>
  );
}
