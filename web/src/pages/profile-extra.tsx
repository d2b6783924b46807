// The other parts of the medical profile: the organ-donation choice (an Observation, LOINC
// 44788-8, answer from HL7 table 0316), advance directives (documents of type EXPPAT_3) and
// the people to contact (Patient.contact of the holder's own Patient resource).
import { useEffect, useState } from 'preact/hooks';
import { ActionLabel, Choice, Field, Loading, Notice } from '../components';
import { t } from '../messages';
import { ApiError, errorMessage, put } from '../lib/api';
import { frenchDate } from '../lib/format';
import { create, documentTitle, resources, search, type DocumentReference, type Resource } from '../lib/fhir';

const DONATION = 'http://terminology.hl7.org/CodeSystem/v2-0316';

interface DonationObservation extends Resource {
  effectiveDateTime?: string;
  valueCodeableConcept?: { coding?: { system?: string; code?: string }[] };
}

export function OrganDonation(props: { patient: string }) {
  const [current, setCurrent] = useState<DonationObservation | null | undefined>(undefined);
  const [choice, setChoice] = useState('');
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    search<DonationObservation>('Observation', { code: 'http://loinc.org|44788-8', _sort: '-date', _count: '1' }).then(
      (b) => {
        const latest = resources(b, 'Observation')[0] ?? null;
        setCurrent(latest);
        setChoice(latest?.valueCodeableConcept?.coding?.[0]?.code ?? '');
      },
      (e) => {
        setCurrent(null);
        setMessage({ kind: 'error', text: errorMessage(e) });
      },
    );
  }, [version]);

  async function save(event: Event) {
    event.preventDefault();
    if (!choice) return;
    try {
      await create({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '44788-8' }], text: t('donationTitle') },
        subject: { reference: props.patient },
        effectiveDateTime: new Date().toISOString().slice(0, 10),
        valueCodeableConcept: { coding: [{ system: DONATION, code: choice }] },
      } as Resource);
      setMessage({ kind: 'success', text: t('donationSaved') });
      setVersion(version + 1);
    } catch (e) {
      setMessage({ kind: 'error', text: errorMessage(e) });
    }
  }

  return (
    <section aria-labelledby="don-titre" class="section-profil">
      <h2 id="don-titre">{t('donationTitle')}</h2>
      <p>{t('donationIntro')}</p>
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
      {current === undefined ? (
        <Loading />
      ) : (
        <form onSubmit={save} noValidate>
          {current && <p>{t('donationSince').replace('{date}', frenchDate(current.effectiveDateTime))}</p>}
          <Choice
            name="don"
            legend={t('donationLegend')}
            value={choice}
            onValue={setChoice}
            options={[
              { value: 'Y', label: t('donationYes') },
              { value: 'R', label: t('donationRestricted') },
              { value: 'N', label: t('donationNo'), hint: t('donationNoHint') },
            ]}
          />
          <button type="submit" class="principal" disabled={!choice}>
            {t('profileSave')}
          </button>
        </form>
      )}
    </section>
  );
}

export function AdvanceDirectives() {
  const [docs, setDocs] = useState<DocumentReference[] | null>(null);
  useEffect(() => {
    search<DocumentReference>('DocumentReference', {
      type: 'https://mos.esante.gouv.fr/NOS/TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire|EXPPAT_3',
      status: 'current',
      _sort: '-date',
    }).then(
      (b) => setDocs(resources(b, 'DocumentReference')),
      () => setDocs([]),
    );
  }, []);
  return (
    <section aria-labelledby="directives-titre" class="section-profil">
      <h2 id="directives-titre">{t('directivesTitle')}</h2>
      <p>{t('directivesIntro')}</p>
      {docs === null ? (
        <Loading />
      ) : docs.length === 0 ? (
        <p>{t('directivesNone')}</p>
      ) : (
        <ul class="liste-profil">
          {docs.map((d) => (
            <li key={d.id}>
              <a href={`/espace/documents/${d.id}`}>{documentTitle(d)}</a> — {frenchDate(d.date)}
            </li>
          ))}
        </ul>
      )}
      <p>
        <a class="bouton secondaire" href="/espace/documents?type=EXPPAT_3#ajout-titre">
          {t('directivesAdd')}
        </a>
      </p>
    </section>
  );
}

interface Contact {
  name?: { text?: string };
  relationship?: { text?: string }[];
  telecom?: { system?: string; value?: string }[];
}
interface PatientResource extends Resource {
  resourceType: 'Patient';
  contact?: Contact[];
}

export function PeopleToContact(props: { space: string }) {
  const [patient, setPatient] = useState<PatientResource | null | undefined>(undefined);
  const [etag, setEtag] = useState('');
  const [name, setName] = useState('');
  const [relation, setRelation] = useState('');
  const [phone, setPhone] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState('');
  const [version, setVersion] = useState(0);
  const path = `/fhir/r4/Patient/${props.space}`;

  useEffect(() => {
    (async () => {
      const res = await fetch(path, { headers: { Accept: 'application/fhir+json' }, credentials: 'same-origin' });
      if (res.status === 404 || res.status === 410) {
        setPatient(null);
        return;
      }
      if (!res.ok) throw new ApiError(res.status, 'error', '');
      setEtag(res.headers.get('ETag') ?? '');
      setPatient((await res.json()) as PatientResource);
    })().catch((e) => {
      setPatient(null);
      setErrors({ form: errorMessage(e) });
    });
  }, [version]);

  async function save(contacts: Contact[], done: string) {
    const body: PatientResource = { ...(patient ?? { resourceType: 'Patient' }), resourceType: 'Patient', id: props.space, contact: contacts };
    delete body.meta;
    try {
      await put(path, body, { headers: etag ? { 'If-Match': etag } : {} });
      setMessage(done);
      setErrors({});
      setVersion(version + 1);
    } catch (e) {
      setErrors({ form: e instanceof ApiError && e.status === 412 ? t('contactsChanged') : errorMessage(e) });
      if (e instanceof ApiError && e.status === 412) setVersion(version + 1);
    }
  }

  function add(event: Event) {
    event.preventDefault();
    const e: Record<string, string> = {};
    if (!name.trim()) e.name = t('contactNameMissing');
    const digits = phone.replace(/[\s.\-]/g, '');
    if (!/^(\+33|0)[1-9]\d{8}$/.test(digits)) e.phone = t('contactPhoneInvalid');
    setErrors(e);
    if (Object.keys(e).length) return;
    const contact: Contact = { name: { text: name.trim() }, telecom: [{ system: 'phone', value: digits }] };
    if (relation.trim()) contact.relationship = [{ text: relation.trim() }];
    void save([...(patient?.contact ?? []), contact], t('contactAdded').replace('{name}', name.trim())).then(() => {
      setName('');
      setRelation('');
      setPhone('');
    });
  }

  const contacts = patient?.contact ?? [];
  return (
    <section aria-labelledby="contacts-titre" class="section-profil">
      <h2 id="contacts-titre">{t('contactsTitle')}</h2>
      <p>{t('contactsIntro')}</p>
      {message && <Notice kind="success">{message}</Notice>}
      {errors.form && <Notice kind="error">{errors.form}</Notice>}
      {patient === undefined ? (
        <Loading />
      ) : contacts.length === 0 ? (
        <p>{t('contactsNone')}</p>
      ) : (
        <ul class="liste-profil">
          {contacts.map((c, i) => (
            <li key={i}>
              <span>
                {c.name?.text}
                {c.relationship?.[0]?.text && ` (${c.relationship[0].text})`} — {c.telecom?.[0]?.value}
              </span>
              <button
                type="button"
                class="secondaire petit"
                onClick={() => void save(contacts.filter((_, j) => j !== i), t('contactRemoved').replace('{name}', c.name?.text ?? ''))}
              >
                <ActionLabel text={t('profileRemove')} about={c.name?.text ?? ''} />
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={add} noValidate class="ajout-profil">
        <Field id="contact-nom" label={t('contactName')} autocomplete="off" value={name} onValue={setName} error={errors.name} required />
        <Field id="contact-lien" label={t('contactRelation')} hint={t('contactRelationHint')} value={relation} onValue={setRelation} />
        <Field id="contact-tel" label={t('contactPhone')} hint={t('contactPhoneHint')} type="tel" autocomplete="off" value={phone} onValue={setPhone} error={errors.phone} required />
        <button type="submit" class="principal">
          {t('contactAdd')}
        </button>
      </form>
    </section>
  );
}
