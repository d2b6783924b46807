// Access and privacy: who follows the holder (designated physician, care team), who is
// blocked, whether emergency access is allowed, who looked at what (in plain words, with a
// "block" button next to each professional), and how the holder is told.
import { useEffect, useState } from 'preact/hooks';
import { ActionLabel, Field, Loading, Notice, Page } from '../components';
import { t, type MessageKey } from '../messages';
import { ApiError, del, errorMessage, get, post, put } from '../lib/api';
import { frenchDate, frenchDateTime } from '../lib/format';

interface Professional {
  idnatps: string;
  name?: string;
  profession?: string;
}
interface Relationship extends Professional {
  kind: 'designated' | 'care_team' | 'consent' | 'emergency';
  since: string;
  expires_at?: string;
}
interface Block extends Professional {
  emergency_allowed: boolean;
  since: string;
}
export interface HistoryEvent {
  seq: number;
  at: string;
  actor_kind: string;
  actor_id: string;
  actor_name?: string;
  actor_profession?: string;
  action: string;
  resource_type?: string;
  resource_id?: string;
  resource_label?: string;
  outcome: 'allowed' | 'denied' | 'failed';
  reason?: string;
  emergency?: boolean;
}

export function who(p: { name?: string; profession?: string; idnatps?: string }): string {
  const name = p.name || t('proUnknown').replace('{id}', p.idnatps ?? '');
  return p.profession ? `${name} (${p.profession})` : name;
}

const ACTIONS: Record<string, MessageKey> = {
  read: 'histRead',
  search: 'histSearch',
  create: 'histCreate',
  update: 'histUpdate',
  delete: 'histDelete',
  'find-patient': 'histFindPatient',
  'declare-care-team': 'histCareTeam',
  'emergency-access': 'histEmergency',
  consent: 'histConsent',
};

const RESOURCES: Record<string, MessageKey> = {
  DocumentReference: 'resDocument',
  Binary: 'resDocumentFile',
  Observation: 'resObservation',
  AllergyIntolerance: 'resAllergy',
  Condition: 'resCondition',
  MedicationStatement: 'resMedication',
  MedicationRequest: 'resPrescription',
  MedicationDispense: 'resDispense',
  Immunization: 'resImmunization',
  Patient: 'resPatient',
  Communication: 'resMessage',
  Appointment: 'resAppointment',
  List: 'resList',
  Consent: 'resConsent',
};

// "Dr Claire MARTIN (médecin généraliste) a consulté un document : « Compte rendu »."
export function describe(e: HistoryEvent): string {
  const actor = e.actor_kind === 'professional' ? who({ name: e.actor_name, profession: e.actor_profession, idnatps: e.actor_id }) : e.actor_name || t('histSomeone');
  const action = t(ACTIONS[e.action] ?? 'histOther').replace('{action}', e.action);
  const what = e.resource_type ? t(RESOURCES[e.resource_type] ?? 'resOther') : '';
  const label = e.resource_label ? ` « ${e.resource_label} »` : '';
  let sentence = `${actor} ${action}${what ? ' ' + what : ''}${label}`;
  if (e.outcome === 'denied') sentence = t('histDenied').replace('{sentence}', sentence);
  if (e.outcome === 'failed') sentence = t('histFailed').replace('{sentence}', sentence);
  if (e.emergency && e.action !== 'emergency-access') sentence += ' ' + t('histUnderEmergency');
  // The reason a professional wrote for an emergency access; other reasons are the server's.
  if (e.action === 'emergency-access' && e.reason) sentence += ' ' + t('histReason').replace('{reason}', e.reason);
  return sentence + '.';
}

export function BlockButton(props: { idnatps: string; label: string; onDone: (msg: string) => void; onError: (msg: string) => void }) {
  const [busy, setBusy] = useState(false);
  async function block() {
    if (!window.confirm(t('blockConfirm').replace('{who}', props.label))) return;
    setBusy(true);
    try {
      await put(`/api/v1/care/blocks/${props.idnatps}`, { emergency_allowed: false });
      props.onDone(t('blockDone').replace('{who}', props.label));
    } catch (e) {
      props.onError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <button type="button" class="secondaire petit" disabled={busy} onClick={() => void block()}>
      <ActionLabel text={t('block')} about={props.label} />
    </button>
  );
}

export function History(props: { onBlocked: (msg: string) => void; onError: (msg: string) => void; limit?: number }) {
  const [events, setEvents] = useState<HistoryEvent[] | null>(null);
  const [more, setMore] = useState(false);
  const load = async (before?: number) => {
    try {
      const r = await get<{ events: HistoryEvent[] }>('/api/v1/care/history' + (before ? `?before=${before}` : ''));
      setEvents((old) => (before ? [...(old ?? []), ...r.events] : r.events));
      setMore(r.events.length >= 50);
    } catch (e) {
      props.onError(errorMessage(e));
      setEvents([]);
    }
  };
  useEffect(() => {
    void load();
  }, []);
  if (events === null) return <Loading />;
  if (events.length === 0) return <p>{t('historyNone')}</p>;
  const shown = props.limit ? events.slice(0, props.limit) : events;
  return (
    <>
      <ul class="historique">
        {shown.map((e) => (
          <li key={e.seq} class={e.emergency ? 'urgence' : ''}>
            <p>
              <time dateTime={e.at}>{frenchDateTime(e.at)}</time> — {describe(e)}
            </p>
            {e.actor_kind === 'professional' && (
              <BlockButton idnatps={e.actor_id} label={who({ name: e.actor_name, profession: e.actor_profession, idnatps: e.actor_id })} onDone={props.onBlocked} onError={props.onError} />
            )}
          </li>
        ))}
      </ul>
      {!props.limit && more && (
        <button type="button" class="secondaire" onClick={() => void load(events[events.length - 1].seq)}>
          {t('showMore')}
        </button>
      )}
    </>
  );
}

type Channel = 'email' | 'sms' | 'none' | 'default';

// A six-digit code the holder reads out to a professional who is not in the care team, for
// one consultation.
function ConsultationCode() {
  const [code, setCode] = useState<{ code: string; valid_minutes: number } | null>(null);
  const [error, setError] = useState('');
  async function make() {
    try {
      setCode(await post<{ code: string; valid_minutes: number }>('/api/v1/care/consultation-codes'));
      setError('');
    } catch (e) {
      setError(errorMessage(e));
    }
  }
  return (
    <section aria-labelledby="code-titre">
      <h2 id="code-titre">{t('consultationTitle')}</h2>
      <p>{t('consultationIntro')}</p>
      {error && <Notice kind="error">{error}</Notice>}
      {code && (
        <p role="status">
          {t('consultationIs')} <strong class="code-consultation">{code.code}</strong> ({t('consultationValid').replace('{n}', String(code.valid_minutes))})
        </p>
      )}
      <button type="button" class="secondaire" onClick={() => void make()}>
        {t('consultationMake')}
      </button>
    </section>
  );
}

export function Access() {
  const [relationships, setRelationships] = useState<Relationship[] | null>(null);
  const [blocks, setBlocks] = useState<Block[] | null>(null);
  const [emergencyForbidden, setEmergencyForbidden] = useState<boolean | null>(null);
  const [notifications, setNotifications] = useState<Record<string, Channel> | null>(null);
  const [physician, setPhysician] = useState('');
  const [physicianError, setPhysicianError] = useState('');
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    get<{ relationships: Relationship[] }>('/api/v1/care/relationships').then((r) => setRelationships(r.relationships), () => setRelationships([]));
    get<{ blocks: Block[] }>('/api/v1/care/blocks').then((r) => setBlocks(r.blocks), () => setBlocks([]));
    get<{ emergency_forbidden: boolean }>('/api/v1/care/settings').then((r) => setEmergencyForbidden(r.emergency_forbidden), () => setEmergencyForbidden(null));
    get<Record<string, Channel>>('/api/v1/care/notifications').then(setNotifications, () => setNotifications(null));
  }, [version]);

  const done = (text: string) => {
    setMessage({ kind: 'success', text });
    setVersion(version + 1);
  };
  const failed = (text: string) => setMessage({ kind: 'error', text });

  async function act(action: () => Promise<unknown>, success: string) {
    try {
      await action();
      done(success);
    } catch (e) {
      failed(errorMessage(e));
    }
  }

  async function designate(event: Event) {
    event.preventDefault();
    const id = physician.replace(/\s/g, '');
    if (!/^\d{11}$/.test(id)) {
      setPhysicianError(t('rppsInvalid'));
      return;
    }
    setPhysicianError('');
    try {
      await put('/api/v1/care/designated-physician', { idnatps: id });
      setPhysician('');
      done(t('physicianDone'));
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 400)) setPhysicianError(t('rppsUnknown'));
      else failed(errorMessage(e));
    }
  }

  const designated = relationships?.find((r) => r.kind === 'designated');
  const team = relationships?.filter((r) => r.kind !== 'designated') ?? [];

  return (
    <Page title={t('accessTitle')} wide>
      <p class="chapeau">
        {t('accessIntro')} <a href="/comprendre">{t('accessUnderstand')}</a>
      </p>
      {message && <Notice kind={message.kind}>{message.text}</Notice>}

      <section aria-labelledby="medecin-titre">
        <h2 id="medecin-titre">{t('physicianTitle')}</h2>
        {relationships === null ? <Loading /> : <p>{designated ? t('physicianIs').replace('{who}', who(designated)) : t('physicianNone')}</p>}
        <form onSubmit={designate} noValidate class="en-ligne">
          <Field id="rpps" label={t('physicianChange')} hint={t('rppsHint')} inputMode="numeric" value={physician} onValue={setPhysician} error={physicianError} />
          <button type="submit" class="secondaire">
            {t('physicianSubmit')}
          </button>
        </form>
      </section>

      <section aria-labelledby="equipe-titre">
        <h2 id="equipe-titre">{t('teamTitle')}</h2>
        <p>{t('teamIntro')}</p>
        {relationships === null ? (
          <Loading />
        ) : team.length === 0 ? (
          <p>{t('teamNone')}</p>
        ) : (
          <ul class="liste-acces">
            {team.map((r) => (
              <li key={r.idnatps + r.kind}>
                <p>
                  <strong>{who(r)}</strong> — {t(`rel_${r.kind}` as MessageKey)} {t('since')} {frenchDate(r.since)}
                  {r.expires_at && ` (${t('until')} ${frenchDateTime(r.expires_at)})`}
                </p>
                <div class="actions">
                  <button type="button" class="secondaire petit" onClick={() => void act(() => del(`/api/v1/care/relationships/${r.idnatps}`), t('teamRemoved').replace('{who}', who(r)))}>
                    <ActionLabel text={t('teamRemove')} about={who(r)} />
                  </button>
                  <BlockButton idnatps={r.idnatps} label={who(r)} onDone={done} onError={failed} />
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="bloques-titre">
        <h2 id="bloques-titre">{t('blockedTitle')}</h2>
        {blocks === null ? (
          <Loading />
        ) : blocks.length === 0 ? (
          <p>{t('blockedNone')}</p>
        ) : (
          <ul class="liste-acces">
            {blocks.map((b) => (
              <li key={b.idnatps}>
                <p>
                  <strong>{who(b)}</strong> — {t('blockedSince')} {frenchDate(b.since)}
                  {b.emergency_allowed ? ` ${t('blockedEmergencyAllowed')}` : ''}
                </p>
                <button type="button" class="secondaire petit" onClick={() => void act(() => del(`/api/v1/care/blocks/${b.idnatps}`), t('unblockDone').replace('{who}', who(b)))}>
                  <ActionLabel text={t('unblock')} about={who(b)} />
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="urgence-titre">
        <h2 id="urgence-titre">{t('emergencyTitle')}</h2>
        <p>{t('emergencyIntro')}</p>
        {emergencyForbidden !== null && (
          <>
            <p>{emergencyForbidden ? t('emergencyIsForbidden') : t('emergencyIsAllowed')}</p>
            <button
              type="button"
              class="secondaire"
              onClick={() => void act(() => put('/api/v1/care/settings', { emergency_forbidden: !emergencyForbidden }), emergencyForbidden ? t('emergencyAllowedDone') : t('emergencyForbiddenDone'))}
            >
              {emergencyForbidden ? t('emergencyAllow') : t('emergencyForbid')}
            </button>
          </>
        )}
      </section>

      <section aria-labelledby="historique-titre">
        <h2 id="historique-titre">{t('historyTitle')}</h2>
        <p>{t('historyIntro')}</p>
        <History key={version} onBlocked={done} onError={failed} />
      </section>

      {notifications && (
        <section aria-labelledby="notif-titre">
          <h2 id="notif-titre">{t('notificationsTitle')}</h2>
          {(['first_access', 'emergency', 'new_document'] as const).map((kind) => (
            <div class="champ" key={kind}>
              <label for={`notif-${kind}`}>{t(`notif_${kind}` as MessageKey)}</label>
              <select
                id={`notif-${kind}`}
                value={notifications[kind] === 'default' ? 'email' : notifications[kind]}
                onChange={(e) => void act(() => put(`/api/v1/care/notifications/${kind}`, { channel: (e.target as HTMLSelectElement).value }), t('notificationsDone'))}
              >
                <option value="email">{t('channelEmail')}</option>
                <option value="sms">{t('channelSms')}</option>
                <option value="none">{t('channelNone')}</option>
              </select>
            </div>
          ))}
        </section>
      )}
      <ConsultationCode />
    </Page>
  );
}
