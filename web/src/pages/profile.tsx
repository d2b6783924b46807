// The medical profile, section by section (allergies, history, treatments, vaccinations,
// measurements with a chart over time); each section can be read and added to; the holder
// removes what they entered themselves.
import { useEffect, useState } from 'preact/hooks';
import { ActionLabel, Field, Loading, Notice, Page, WhoCanSee } from '../components';
import { t, type MessageKey } from '../messages';
import { ApiError, del, errorMessage } from '../lib/api';
import { frenchDate, parseFrenchDate } from '../lib/format';
import { create, resources, search, type CodeableConcept, type Reference, type Resource } from '../lib/fhir';
import { useSession } from '../lib/session';
import { Chart } from './chart';
import { AdvanceDirectives, OrganDonation, PeopleToContact } from './profile-extra';

interface Item extends Resource {
  code?: CodeableConcept;
  vaccineCode?: CodeableConcept;
  medicationCodeableConcept?: CodeableConcept;
  recordedDate?: string;
  onsetDateTime?: string;
  occurrenceDateTime?: string;
  effectiveDateTime?: string;
  dateAsserted?: string;
  recorder?: Reference;
  informationSource?: Reference;
  performer?: Reference[];
  asserter?: Reference;
  valueQuantity?: { value?: number; unit?: string; code?: string };
  component?: { code: CodeableConcept; valueQuantity?: { value?: number } }[];
}

interface Section {
  type: string;
  title: MessageKey;
  empty: MessageKey;
  label: MessageKey;
  words: (i: Item) => string;
  date: (i: Item) => string | undefined;
  make: (words: string, date: string | null, patient: string) => Item;
}

const textOf = (c?: CodeableConcept) => c?.text ?? c?.coding?.[0]?.display ?? c?.coding?.[0]?.code ?? '';

const SECTIONS: Section[] = [
  {
    type: 'AllergyIntolerance',
    title: 'profileAllergies',
    empty: 'profileAllergiesNone',
    label: 'profileAllergyLabel',
    words: (i) => textOf(i.code),
    date: (i) => i.recordedDate ?? i.onsetDateTime,
    make: (words, date, patient) => ({ resourceType: 'AllergyIntolerance', code: { text: words }, patient: { reference: patient }, ...(date ? { onsetDateTime: date } : {}) }) as Item,
  },
  {
    type: 'Condition',
    title: 'profileHistory',
    empty: 'profileHistoryNone',
    label: 'profileConditionLabel',
    words: (i) => textOf(i.code),
    date: (i) => i.onsetDateTime ?? i.recordedDate,
    make: (words, date, patient) => ({ resourceType: 'Condition', code: { text: words }, subject: { reference: patient }, ...(date ? { onsetDateTime: date } : {}) }) as Item,
  },
  {
    type: 'MedicationStatement',
    title: 'profileTreatments',
    empty: 'profileTreatmentsNone',
    label: 'profileTreatmentLabel',
    words: (i) => textOf(i.medicationCodeableConcept),
    date: (i) => i.effectiveDateTime ?? i.dateAsserted,
    make: (words, date, patient) =>
      ({ resourceType: 'MedicationStatement', status: 'active', medicationCodeableConcept: { text: words }, subject: { reference: patient }, ...(date ? { effectiveDateTime: date } : {}) }) as Item,
  },
  {
    type: 'Immunization',
    title: 'profileVaccinations',
    empty: 'profileVaccinationsNone',
    label: 'profileVaccineLabel',
    words: (i) => textOf(i.vaccineCode),
    date: (i) => i.occurrenceDateTime,
    make: (words, date, patient) =>
      ({ resourceType: 'Immunization', status: 'completed', vaccineCode: { text: words }, patient: { reference: patient }, occurrenceDateTime: date ?? new Date().toISOString().slice(0, 10) }) as Item,
  },
];

function enteredBy(i: Item): string | undefined {
  return i.recorder?.reference ?? i.informationSource?.reference ?? i.asserter?.reference ?? i.performer?.[0]?.reference;
}

function ProfileSection(props: { section: Section; patient: string }) {
  const s = props.section;
  const [items, setItems] = useState<Item[] | null>(null);
  const [words, setWords] = useState('');
  const [date, setDate] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState('');
  const [version, setVersion] = useState(0);
  const [open, setOpen] = useState(false);

  useEffect(() => {
    search<Item>(s.type, { _sort: '-_lastUpdated', _count: '50' }).then(
      (b) => setItems(resources(b, s.type)),
      (e) => {
        setItems([]);
        setErrors({ form: errorMessage(e) });
      },
    );
  }, [version]);

  async function add(event: Event) {
    event.preventDefault();
    const e: Record<string, string> = {};
    if (!words.trim()) e.words = t('profileWordsMissing');
    const iso = date.trim() ? parseFrenchDate(date) : null;
    if (date.trim() && !iso) e.date = t('dateInvalid');
    setErrors(e);
    if (Object.keys(e).length) return;
    try {
      await create(s.make(words.trim(), iso, props.patient));
      setWords('');
      setDate('');
      setMessage(t('profileAdded').replace('{what}', words.trim()));
      setVersion(version + 1);
    } catch (err) {
      setErrors({ form: err instanceof ApiError && err.status === 400 ? errorMessage(err) : errorMessage(err) });
    }
  }

  async function remove(i: Item) {
    if (!window.confirm(t('profileRemoveConfirm').replace('{what}', s.words(i)))) return;
    try {
      await del(`/fhir/r4/${s.type}/${i.id}`);
      setMessage(t('profileRemoved').replace('{what}', s.words(i)));
      setVersion(version + 1);
    } catch (err) {
      setErrors({ form: errorMessage(err) });
    }
  }

  const id = s.type.toLowerCase();
  return (
    <section aria-labelledby={`${id}-titre`} class="section-profil">
      <h2 id={`${id}-titre`}>{t(s.title)}</h2>
      {message && <Notice kind="success">{message}</Notice>}
      {errors.form && <Notice kind="error">{errors.form}</Notice>}
      {items === null ? (
        <Loading />
      ) : items.length === 0 ? (
        <p>{t(s.empty)}</p>
      ) : (
        <ul class="liste-profil">
          {items.map((i) => (
            <li key={i.id}>
              <span>
                {s.words(i)}
                {s.date(i) && ` — ${frenchDate(s.date(i))}`}
                {enteredBy(i)?.startsWith('Practitioner/') && <span class="aide"> ({t('profileByPro')})</span>}
              </span>
              {enteredBy(i) === props.patient && (
                <button type="button" class="secondaire petit" onClick={() => void remove(i)}>
                  <ActionLabel text={t('profileRemove')} about={s.words(i)} />
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {!open ? (
        <button type="button" class="secondaire" aria-expanded="false" onClick={() => setOpen(true)}>
          {t('profileAdd')}
        </button>
      ) : (
        <form onSubmit={add} noValidate class="ajout-profil">
          <Field id={`${id}-mots`} label={t(s.label)} value={words} onValue={setWords} error={errors.words} required />
          <Field id={`${id}-date`} label={t('profileDate')} hint={t('birthDateHint')} inputMode="numeric" value={date} onValue={setDate} error={errors.date} />
          <div class="actions">
            <button type="submit" class="principal">
              {t('profileSave')}
            </button>
            <button type="button" class="secondaire" onClick={() => setOpen(false)}>
              {t('cancel')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

interface Measure {
  code: string;
  label: MessageKey;
  unit: string;
  ucum: string;
}

const MEASURES: Measure[] = [
  { code: '29463-7', label: 'measureWeight', unit: 'kg', ucum: 'kg' },
  { code: '8302-2', label: 'measureHeight', unit: 'cm', ucum: 'cm' },
  { code: '8867-4', label: 'measureHeartRate', unit: 'battements/min', ucum: '/min' },
  { code: '2339-0', label: 'measureGlucose', unit: 'g/L', ucum: 'g/L' },
  { code: '39156-5', label: 'measureBmi', unit: 'kg/m²', ucum: 'kg/m2' },
];

function Measurements(props: { patient: string }) {
  const [measure, setMeasure] = useState(MEASURES[0]);
  const [points, setPoints] = useState<{ at: string; value: number }[] | null>(null);
  const [value, setValue] = useState('');
  const [date, setDate] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState('');
  const [version, setVersion] = useState(0);

  useEffect(() => {
    setPoints(null);
    search<Item>('Observation', { code: `http://loinc.org|${measure.code}`, _sort: 'date', _count: '200' }).then(
      (b) =>
        setPoints(
          resources(b, 'Observation')
            .filter((o) => o.valueQuantity?.value !== undefined && o.effectiveDateTime)
            .map((o) => ({ at: o.effectiveDateTime!, value: o.valueQuantity!.value! })),
        ),
      (e) => {
        setPoints([]);
        setErrors({ form: errorMessage(e) });
      },
    );
  }, [measure, version]);

  async function add(event: Event) {
    event.preventDefault();
    const n = Number(value.replace(',', '.'));
    const e: Record<string, string> = {};
    if (!value.trim() || Number.isNaN(n)) e.value = t('measureValueInvalid');
    const iso = date.trim() ? parseFrenchDate(date) : new Date().toISOString().slice(0, 10);
    if (!iso) e.date = t('dateInvalid');
    setErrors(e);
    if (Object.keys(e).length || !iso) return;
    try {
      await create({
        resourceType: 'Observation',
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: measure.code }], text: t(measure.label) },
        subject: { reference: props.patient },
        effectiveDateTime: iso,
        valueQuantity: { value: n, unit: measure.unit, system: 'http://unitsofmeasure.org', code: measure.ucum },
      } as Resource);
      setValue('');
      setDate('');
      setMessage(t('measureAdded'));
      setVersion(version + 1);
    } catch (err) {
      setErrors({ value: errorMessage(err) });
    }
  }

  return (
    <section aria-labelledby="mesures-titre" class="section-profil">
      <h2 id="mesures-titre">{t('profileMeasures')}</h2>
      {message && <Notice kind="success">{message}</Notice>}
      {errors.form && <Notice kind="error">{errors.form}</Notice>}
      <div class="champ">
        <label for="mesure-type">{t('measureKind')}</label>
        <select id="mesure-type" value={measure.code} onChange={(e) => setMeasure(MEASURES.find((m) => m.code === (e.target as HTMLSelectElement).value) ?? MEASURES[0])}>
          {MEASURES.map((m) => (
            <option key={m.code} value={m.code}>
              {t(m.label)}
            </option>
          ))}
        </select>
      </div>
      {points === null ? <Loading /> : <Chart title={`${t(measure.label)} (${measure.unit})`} points={points} unit={measure.unit} />}
      {measure.code !== '39156-5' && (
        <form onSubmit={add} noValidate class="ajout-profil">
          <Field id="mesure-valeur" label={`${t('measureValue')} (${measure.unit})`} inputMode="decimal" value={value} onValue={setValue} error={errors.value} required />
          <Field id="mesure-date" label={t('profileDate')} hint={t('measureDateHint')} inputMode="numeric" value={date} onValue={setDate} error={errors.date} />
          <button type="submit" class="principal">
            {t('measureSave')}
          </button>
        </form>
      )}
    </section>
  );
}

export function Profile() {
  const { me } = useSession();
  if (!me?.acting_space_id) return <Loading />;
  const patient = `Patient/${me.acting_space_id}`;
  return (
    <Page title={t('profileTitle')} wide>
      <WhoCanSee text={t('whoCanSeeProfile')} />
      {SECTIONS.map((s) => (
        <ProfileSection key={s.type + me.acting_space_id} section={s} patient={patient} />
      ))}
      <Measurements key={me.acting_space_id} patient={patient} />
      <OrganDonation key={`don-${me.acting_space_id}`} patient={patient} />
      <AdvanceDirectives key={`dir-${me.acting_space_id}`} />
      <PeopleToContact key={`contacts-${me.acting_space_id}`} space={me.acting_space_id} />
    </Page>
  );
}
