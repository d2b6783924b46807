// The holder's home answers first "what is new since my last visit": documents, messages,
// reminders and professionals' accesses; then the way to everything else.
import { useEffect, useState } from 'preact/hooks';
import { Loading, Notice, Page, WhoCanSee } from '../components';
import { t } from '../messages';
import { errorMessage, get } from '../lib/api';
import { frenchDate, frenchDateTime, properName } from '../lib/format';
import { documentTitle, resources, search, text, type DocumentReference, type Resource } from '../lib/fhir';
import { useSession } from '../lib/session';
import { describe, type HistoryEvent } from './access';
import { SpaceSwitcher } from './spaces';

interface Appointment extends Resource {
  start?: string;
  description?: string;
  serviceType?: { text?: string }[];
}
interface Communication extends Resource {
  sent?: string;
  payload?: { contentString?: string }[];
  sender?: { display?: string };
}

interface News {
  documents: DocumentReference[];
  accesses: HistoryEvent[];
  reminders: Appointment[];
  messages: Communication[];
}

export function HolderHome() {
  const { me } = useSession();
  const [news, setNews] = useState<News | null>(null);
  const [error, setError] = useState('');
  const since = me?.previous_visit_at;

  useEffect(() => {
    let cancelled = false;
    const today = new Date().toISOString().slice(0, 10);
    Promise.all([
      search<DocumentReference>('DocumentReference', { status: 'current', _sort: '-_lastUpdated', _count: '5', _lastUpdated: since ? 'gt' + since : undefined }),
      get<{ events: HistoryEvent[] }>('/api/v1/care/history'),
      search<Appointment>('Appointment', { date: 'ge' + today, _sort: 'date', _count: '3' }).catch(() => null),
      search<Communication>('Communication', { _sort: '-sent', _count: '3', sent: since ? 'gt' + since : undefined }).catch(() => null),
    ])
      .then(([docs, history, appointments, communications]) => {
        if (cancelled) return;
        setNews({
          documents: resources(docs, 'DocumentReference'),
          accesses: history.events.filter((e) => !since || e.at > since).slice(0, 5),
          reminders: appointments ? resources(appointments, 'Appointment') : [],
          messages: communications ? resources(communications, 'Communication') : [],
        });
      })
      .catch((e) => !cancelled && setError(errorMessage(e)));
    return () => {
      cancelled = true;
    };
  }, [since, me?.acting_space_id]);

  const nothing = news && !news.documents.length && !news.accesses.length && !news.messages.length;
  const name = me?.first_name ? ` ${properName(me.first_name)}` : '';

  return (
    <Page title={t('homeTitle').replace('{name}', name)}>
      <SpaceSwitcher compact />
      <section aria-labelledby="nouveau-titre" class="nouveautes">
        <h2 id="nouveau-titre">{since ? t('homeSince').replace('{date}', frenchDateTime(since)) : t('homeLatest')}</h2>
        {error && <Notice kind="error">{error}</Notice>}
        {!news && !error && <Loading />}
        {nothing && <p>{since ? t('homeNothingNew') : t('homeNothingYet')}</p>}
        {news && news.documents.length > 0 && (
          <div class="bloc">
            <h3>{t('homeNewDocuments').replace('{n}', String(news.documents.length))}</h3>
            <ul>
              {news.documents.map((d) => (
                <li key={d.id}>
                  <a href={`/espace/documents/${d.id}`}>{documentTitle(d)}</a> — {[frenchDate(d.date), text(d.type)].filter(Boolean).join(' · ')}
                </li>
              ))}
            </ul>
          </div>
        )}
        {news && news.messages.length > 0 && (
          <div class="bloc">
            <h3>{t('homeNewMessages').replace('{n}', String(news.messages.length))}</h3>
            <ul>
              {news.messages.map((m) => (
                <li key={m.id}>
                  {frenchDateTime(m.sent)} — {m.sender?.display ?? ''} : {m.payload?.[0]?.contentString ?? ''}
                </li>
              ))}
            </ul>
          </div>
        )}
        {news && news.accesses.length > 0 && (
          <div class="bloc">
            <h3>{t('homeNewAccesses').replace('{n}', String(news.accesses.length))}</h3>
            <ul>
              {news.accesses.map((e) => (
                <li key={e.seq}>
                  {frenchDateTime(e.at)} — {describe(e)}
                </li>
              ))}
            </ul>
            <p>
              <a href="/espace/acces">{t('homeSeeAccesses')}</a>
            </p>
          </div>
        )}
        {news && news.reminders.length > 0 && (
          <div class="bloc">
            <h3>{t('homeReminders')}</h3>
            <ul>
              {news.reminders.map((a) => (
                <li key={a.id}>
                  {frenchDate(a.start)} — {a.description ?? a.serviceType?.[0]?.text ?? ''}
                </li>
              ))}
            </ul>
          </div>
        )}
      </section>
      <WhoCanSee text={t('whoCanSeeHome')} />
      <nav aria-labelledby="raccourcis-titre">
        <h2 id="raccourcis-titre">{t('homeShortcuts')}</h2>
        <ul class="cartes">
          <li class="carte">
            <a href="/espace/documents">{t('navDocuments')}</a>
            <p>{t('homeDocumentsHint')}</p>
          </li>
          <li class="carte">
            <a href="/espace/profil">{t('navProfile')}</a>
            <p>{t('homeProfileHint')}</p>
          </li>
          <li class="carte">
            <a href="/espace/acces">{t('navAccess')}</a>
            <p>{t('homeAccessHint')}</p>
          </li>
        </ul>
      </nav>
    </Page>
  );
}
