// Parents act in their children's spaces: the list of spaces the person may act in, and the
// switch between them. The space acted in is shown on every page of the holder's side.
import { useEffect, useState } from 'preact/hooks';
import { Loading, Notice, Page } from '../components';
import { t } from '../messages';
import { errorMessage, get, post } from '../lib/api';
import { properName } from '../lib/format';
import { refresh, useSession } from '../lib/session';

interface SpaceEntry {
  space_id: string;
  role: 'holder' | 'representative' | 'delegate';
  first_name: string;
  state: string;
  acting: boolean;
}

function firstName(s: SpaceEntry): string {
  return properName(s.first_name);
}

export function SpaceSwitcher(props: { compact?: boolean }) {
  const { me } = useSession();
  const [spaces, setSpaces] = useState<SpaceEntry[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    get<{ spaces: SpaceEntry[] }>('/api/v1/spaces').then((r) => setSpaces(r.spaces), () => setSpaces([]));
  }, [me?.acting_space_id]);

  async function switchTo(s: SpaceEntry) {
    try {
      await post(`/api/v1/spaces/${s.space_id}/switch`);
      await refresh();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  if (spaces === null) return props.compact ? null : <Loading />;
  if (props.compact && spaces.length < 2) return null;
  const acting = spaces.find((s) => s.acting);
  return (
    <section class="espaces" aria-labelledby="espaces-titre">
      <h2 id="espaces-titre" class={props.compact ? 'sr-only' : ''}>
        {t('spacesTitle')}
      </h2>
      {error && <Notice kind="error">{error}</Notice>}
      {acting && acting.role !== 'holder' && <p class="notice notice-info">{t('spacesActingFor').replace('{name}', firstName(acting))}</p>}
      <ul class="liste-espaces">
        {spaces.map((s) => (
          <li key={s.space_id}>
            <span>{s.role === 'holder' ? t('spacesMine') : t('spacesOf').replace('{name}', firstName(s))}</span>
            {s.acting ? (
              <span class="badge">{t('spacesCurrent')}</span>
            ) : (
              <button type="button" class="secondaire petit" onClick={() => void switchTo(s)}>
                {s.role === 'holder' ? t('spacesBackToMine') : t('spacesSwitchTo').replace('{name}', firstName(s))}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Spaces() {
  return (
    <Page title={t('spacesTitle')}>
      <p>{t('spacesIntro')}</p>
      <SpaceSwitcher />
    </Page>
  );
}
