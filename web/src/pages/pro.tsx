// The professional's view: find a patient by INS (social security number and birth date,
// typed or read from the INS Datamatrix by a hand-held reader or the camera),
// declare the care relationship or use emergency access (with a reason), then see what the
// access matrix allows for their profession, add a document and add profile items.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ActionLabel, Field, FileField, Loading, Notice, Page, Progress } from '../components';
import { t } from '../messages';
import { ApiError, errorMessage, get, post, uploadBinary } from '../lib/api';
import { identityErrors } from '../lib/checks';
import { compactNir, fileSize, frenchDate, parseFrenchDate } from '../lib/format';
import { binaryId, create, documentTitle, resources, search, text, type Bundle, type CodeableConcept, type DocumentReference, type Resource } from '../lib/fhir';
import { navigate } from '../lib/router';
import { useDocumentTypes } from '../lib/document-types';
import { readInsScan, type InsRead } from '../lib/ins-scan';

// The INS look-up's answer: the space and the identity traits to check with the patient.
interface Found {
  space_id: string;
  birth_name?: string;
  first_names?: string;
  birth_date?: string;
  sex?: string;
}

// The patient found is remembered for this tab only, to show who the page is about.
function remember(f: Found): void {
  sessionStorage.setItem(`patient:${f.space_id}`, JSON.stringify(f));
}
function recall(space: string): Found {
  try {
    return JSON.parse(sessionStorage.getItem(`patient:${space}`) ?? '') as Found;
  } catch {
    return { space_id: space };
  }
}

// What BarcodeDetector offers where the browser has it (Chrome on Android, ChromeOS, macOS).
interface Detector {
  detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]>;
}
type DetectorClass = { new (o: { formats: string[] }): Detector; getSupportedFormats(): Promise<string[]> };

function detectorClass(): DetectorClass | null {
  return (globalThis as unknown as { BarcodeDetector?: DetectorClass }).BarcodeDetector ?? null;
}

// The camera reading the INS Datamatrix: offered only where the browser can decode it.
function CameraScan(props: { onRead: (text: string) => void; onProblem: (message: string) => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [available, setAvailable] = useState(false);
  const [running, setRunning] = useState(false);
  useEffect(() => {
    const D = detectorClass();
    if (!D || !navigator.mediaDevices?.getUserMedia) return;
    D.getSupportedFormats().then((f) => setAvailable(f.includes('data_matrix')), () => setAvailable(false));
  }, []);
  useEffect(() => {
    if (!running) return;
    const D = detectorClass();
    if (!D || !video.current) return;
    const detector = new D({ formats: ['data_matrix', 'qr_code'] });
    let stream: MediaStream | null = null;
    let timer = 0;
    let stopped = false;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(
      async (s) => {
        stream = s;
        if (stopped || !video.current) return;
        video.current.srcObject = s;
        await video.current.play();
        const look = async () => {
          if (stopped || !video.current) return;
          const codes = await detector.detect(video.current).catch(() => []);
          if (codes.length) {
            props.onRead(codes[0].rawValue);
            setRunning(false);
            return;
          }
          timer = window.setTimeout(() => void look(), 250);
        };
        void look();
      },
      () => {
        props.onProblem(t('proScanCameraRefused'));
        setRunning(false);
      },
    );
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      stream?.getTracks().forEach((track) => track.stop());
    };
  }, [running]);
  if (!available) return null;
  return (
    <div>
      <button type="button" class="secondaire" aria-expanded={running} onClick={() => setRunning(!running)}>
        {running ? t('proScanCameraStop') : t('proScanCamera')}
      </button>
      {running && <video ref={video} class="camera" muted playsInline aria-label={t('proScanCameraLabel')} />}
    </div>
  );
}

export function ProfessionalSearch() {
  const [nir, setNir] = useState('');
  const [birth, setBirth] = useState('');
  const [scan, setScan] = useState('');
  const [read, setRead] = useState<InsRead | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  // The reader types the code then Enter: fill the fields and let the person check them.
  function scanned(text: string) {
    const r = readInsScan(text);
    setScan('');
    if (!r) {
      setRead(null);
      setErrors({ scan: t('proScanUnreadable') });
      return;
    }
    setNir(r.nir);
    if (r.birth) setBirth(r.birth);
    setRead(r);
    setErrors({});
    document.getElementById(r.birth ? 'chercher' : 'birth')?.focus();
  }

  async function find(event: Event) {
    event.preventDefault();
    const e = identityErrors({ nir, birth });
    const iso = parseFrenchDate(birth);
    setErrors(e);
    if (Object.keys(e).length || !iso) return;
    setBusy(true);
    try {
      const found = await post<Found>('/api/v1/care/patients/lookup', { nir: compactNir(nir), birth_date: iso });
      remember(found);
      navigate(`/pro/patient/${found.space_id}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setErrors({ form: t('proNoPatient') });
      else setErrors({ form: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title={t('proSearchTitle')}>
      <p>{t('proSearchIntro')}</p>
      {errors.form && <Notice kind="error">{errors.form}</Notice>}
      <form
        class="encart"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          scanned(scan);
        }}
      >
        <Field id="scan" label={t('proScanLabel')} hint={t('proScanHint')} autocomplete="off" spellcheck={false} value={scan} onValue={setScan} error={errors.scan} />
        <div class="actions">
          <button type="submit" class="secondaire">
            {t('proScanRead')}
          </button>
          <CameraScan onRead={scanned} onProblem={(m) => setErrors({ scan: m })} />
        </div>
        {read && (
          <p role="status">{read.birth ? t('proScanDone') : t('proScanNoDate')}</p>
        )}
      </form>
      <form onSubmit={find} noValidate>
        <Field id="nir" label={t('proNirLabel')} hint={t('proNirHint')} inputMode="numeric" autocomplete="off" value={nir} onValue={setNir} error={errors.nir} required />
        <Field id="birth" label={t('birthDateLabel')} hint={t('birthDateHint')} inputMode="numeric" autocomplete="off" value={birth} onValue={setBirth} error={errors.birth} required />
        <button type="submit" id="chercher" class="principal" disabled={busy}>
          {t('proSearch')}
        </button>
      </form>
    </Page>
  );
}

type AccessState = 'checking' | 'none' | 'granted';

function DeclareAccess(props: { space: string; onGranted: () => void }) {
  const [reason, setReason] = useState('');
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [mode, setMode] = useState<'' | 'emergency' | 'code'>('');

  async function run(action: () => Promise<unknown>, field: string) {
    try {
      await action();
      props.onGranted();
    } catch (err) {
      if (err instanceof ApiError && err.status === 403 && /blocked/.test(err.detail)) setErrors({ [field]: t('proBlocked') });
      else if (err instanceof ApiError && err.status === 403 && /emergency/.test(err.detail)) setErrors({ [field]: t('proEmergencyForbidden') });
      else if (err instanceof ApiError && err.status === 403 && field === 'code') setErrors({ code: t('proCodeWrong') });
      else if (err instanceof ApiError && err.status === 400 && field === 'reason') setErrors({ reason: t('proReasonLength') });
      else setErrors({ [field]: errorMessage(err) });
    }
  }

  return (
    <section class="encart" aria-labelledby="acces-titre">
      <h2 id="acces-titre">{t('proAccessTitle')}</h2>
      <p>{t('proAccessIntro')}</p>
      {errors.team && <Notice kind="error">{errors.team}</Notice>}
      <div class="actions">
        <button type="button" class="principal" onClick={() => void run(() => post(`/api/v1/care/spaces/${props.space}/care-team`), 'team')}>
          {t('proDeclareTeam')}
        </button>
        <button type="button" class="secondaire" aria-expanded={mode === 'code'} onClick={() => setMode(mode === 'code' ? '' : 'code')}>
          {t('proUseCode')}
        </button>
        <button type="button" class="danger" aria-expanded={mode === 'emergency'} onClick={() => setMode(mode === 'emergency' ? '' : 'emergency')}>
          {t('proEmergency')}
        </button>
      </div>
      {mode === 'code' && (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => post(`/api/v1/care/spaces/${props.space}/consent`, { code: code.replace(/\s/g, '') }), 'code');
          }}
        >
          <Field id="code-patient" label={t('proCodeLabel')} hint={t('proCodeHint')} inputMode="numeric" value={code} onValue={setCode} error={errors.code} required />
          <button type="submit" class="principal">
            {t('proCodeSubmit')}
          </button>
        </form>
      )}
      {mode === 'emergency' && (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (reason.trim().length < 10) {
              setErrors({ reason: t('proReasonLength') });
              return;
            }
            void run(() => post(`/api/v1/care/spaces/${props.space}/emergency`, { reason: reason.trim() }), 'reason');
          }}
        >
          <div class={errors.reason ? 'champ champ-erreur' : 'champ'}>
            <label for="motif">{t('proReasonLabel')}</label>
            <p class="aide" id="motif-aide">
              {t('proReasonHint')}
            </p>
            {errors.reason && (
              <p class="erreur-champ" id="motif-erreur">
                {errors.reason}
              </p>
            )}
            <textarea
              id="motif"
              rows={3}
              maxLength={500}
              value={reason}
              aria-invalid={errors.reason ? 'true' : undefined}
              aria-describedby={errors.reason ? 'motif-aide motif-erreur' : 'motif-aide'}
              onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
            />
          </div>
          <button type="submit" class="danger">
            {t('proEmergencySubmit')}
          </button>
        </form>
      )}
    </section>
  );
}

function PatientDocuments(props: { space: string; version: number }) {
  const [docs, setDocs] = useState<DocumentReference[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    search<DocumentReference>('DocumentReference', { patient: `Patient/${props.space}`, status: 'current', _sort: '-date', _count: '50' }).then(
      (b) => setDocs(resources(b, 'DocumentReference')),
      (e) => {
        setDocs([]);
        setError(e instanceof ApiError && e.status === 403 ? t('proNotAllowedDocuments') : errorMessage(e));
      },
    );
  }, [props.space, props.version]);
  return (
    <section aria-labelledby="docs-patient-titre">
      <h2 id="docs-patient-titre">{t('navDocuments')}</h2>
      {error && <Notice kind="info">{error}</Notice>}
      {docs === null ? (
        <Loading />
      ) : docs.length === 0 ? (
        !error && <p>{t('proNoDocuments')}</p>
      ) : (
        <ul class="liste-documents">
          {docs.map((d) => {
            const bin = binaryId(d);
            return (
              <li key={d.id} class="document">
                <div class="document-infos">
                  <span class="document-titre">{documentTitle(d)}</span>
                  <p class="document-meta">{[frenchDate(d.date), text(d.type) || text(d.category?.[0])].filter(Boolean).join(' · ')}</p>
                </div>
                {bin && (
                  <a class="bouton secondaire petit" href={`/fhir/r4/Binary/${bin}`} download>
                    <ActionLabel text={t('docDownload')} about={documentTitle(d)} />
                  </a>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

interface SummarySection {
  title?: string;
  entry?: { reference?: string }[];
  emptyReason?: { coding?: { code?: string }[] };
}
interface SummaryItem extends Resource {
  code?: CodeableConcept;
  vaccineCode?: CodeableConcept;
  medicationCodeableConcept?: CodeableConcept;
  effectiveDateTime?: string;
  occurrenceDateTime?: string;
  recordedDate?: string;
  onsetDateTime?: string;
  valueQuantity?: { value?: number; unit?: string };
}

// The patient's medical profile as the access matrix lets this professional see it (HL7 IPS
// summary: allergies, problems, treatments, vaccinations, recent results); a section their
// profession may not see says so.
function PatientSummary(props: { space: string; version: number }) {
  const [sections, setSections] = useState<{ title: string; withheld: boolean; items: SummaryItem[] }[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    get<Bundle>(`/fhir/r4/Patient/${encodeURIComponent(props.space)}/$summary`).then(
      (b) => {
        const all = (b.entry ?? []).map((e) => e.resource);
        const byRef = new Map(all.map((r) => [`${r.resourceType}/${r.id}`, r as SummaryItem]));
        const composition = all.find((r) => r.resourceType === 'Composition') as (Resource & { section?: SummarySection[] }) | undefined;
        setSections(
          (composition?.section ?? []).map((sec) => ({
            title: sec.title ?? '',
            withheld: sec.emptyReason?.coding?.[0]?.code === 'withheld',
            items: (sec.entry ?? []).map((e) => byRef.get(e.reference ?? '')).filter((r): r is SummaryItem => !!r),
          })),
        );
      },
      (e) => {
        setSections([]);
        setError(e instanceof ApiError && e.status === 403 ? t('proNotAllowedSummary') : errorMessage(e));
      },
    );
  }, [props.space, props.version]);
  const label = (r: SummaryItem) => {
    const what = text(r.code ?? r.vaccineCode ?? r.medicationCodeableConcept);
    const value = r.valueQuantity?.value !== undefined ? ` : ${r.valueQuantity.value.toLocaleString('fr-FR')} ${r.valueQuantity.unit ?? ''}` : '';
    const when = r.effectiveDateTime ?? r.occurrenceDateTime ?? r.onsetDateTime ?? r.recordedDate;
    return `${what}${value}${when ? ` (${frenchDate(when)})` : ''}`;
  };
  return (
    <section aria-labelledby="synthese-titre">
      <h2 id="synthese-titre">{t('proSummaryTitle')}</h2>
      {error && <Notice kind="info">{error}</Notice>}
      {sections === null ? (
        <Loading />
      ) : (
        sections.map((sec) => (
          <div key={sec.title} class="bloc">
            <h3>{sec.title}</h3>
            {sec.withheld ? (
              <p class="aide">{t('proSectionWithheld')}</p>
            ) : sec.items.length === 0 ? (
              <p class="aide">{t('proSectionEmpty')}</p>
            ) : (
              <ul>
                {sec.items.map((r) => (
                  <li key={r.id}>{label(r)}</li>
                ))}
              </ul>
            )}
          </div>
        ))
      )}
    </section>
  );
}

function AddDocument(props: { space: string; onDone: () => void }) {
  const types = useDocumentTypes();
  const [file, setFile] = useState<File | null>(null);
  const [title, setTitle] = useState('');
  const [type, setType] = useState('');
  const [progress, setProgress] = useState<number | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState('');
  const [inputKey, setInputKey] = useState(0);

  async function send(event: Event) {
    event.preventDefault();
    const e: Record<string, string> = {};
    if (!file) e.file = t('uploadNoFile');
    else if (types && file.size > types.max_document_bytes) e.file = t('uploadTooBig').replace('{max}', fileSize(types.max_document_bytes));
    if (!title.trim()) e.title = t('uploadNoTitle');
    if (!type) e.type = t('proTypeMissing');
    setErrors(e);
    if (Object.keys(e).length || !file) return;
    setProgress(0);
    setDone('');
    try {
      const { done: sent } = uploadBinary(file, setProgress, { 'X-Security-Context': `Patient/${props.space}` });
      const binary = await sent;
      const chosen = types?.types.find((x) => x.code === type);
      const cls = types?.classes.find((c) => c.code === chosen?.class);
      await create({
        resourceType: 'DocumentReference',
        status: 'current',
        subject: { reference: `Patient/${props.space}` },
        date: new Date().toISOString(),
        type: chosen ? { coding: [{ system: chosen.system, code: chosen.code, display: chosen.label }] } : undefined,
        category: cls ? [{ coding: [{ system: cls.system, code: cls.code, display: cls.label }] }] : undefined,
        content: [{ attachment: { contentType: file.type, url: `Binary/${binary.id}`, title: title.trim(), size: file.size } }],
      } as DocumentReference);
      setDone(t('proDocumentAdded').replace('{title}', title.trim()));
      setFile(null);
      setTitle('');
      setType('');
      setInputKey(inputKey + 1);
      setProgress(null);
      props.onDone();
    } catch (err) {
      setProgress(null);
      setErrors({ form: err instanceof ApiError && err.status === 403 ? t('proNotAllowedAdd') : errorMessage(err) });
    }
  }

  return (
    <section class="encart" aria-labelledby="ajout-pro-titre">
      <h2 id="ajout-pro-titre">{t('proAddDocument')}</h2>
      {done && <Notice kind="success">{done}</Notice>}
      {errors.form && <Notice kind="error">{errors.form}</Notice>}
      <form onSubmit={send} noValidate>
        <FileField
          id="fichier-pro"
          label={t('uploadFile')}
          error={errors.file}
          accept={types?.formats.map((f) => f.content_type).join(',')}
          reset={inputKey}
          onFile={(f) => {
            setFile(f);
            if (f && !title) setTitle(f.name.replace(/\.[^.]+$/, ''));
          }}
        />
        <Field id="titre-pro" label={t('uploadDocTitle')} value={title} onValue={setTitle} error={errors.title} required />
        <div class={errors.type ? 'champ champ-erreur' : 'champ'}>
          <label for="type-pro">{t('uploadType')}</label>
          {errors.type && (
            <p class="erreur-champ" id="type-pro-erreur">
              {errors.type}
            </p>
          )}
          <select id="type-pro" value={type} aria-invalid={errors.type ? 'true' : undefined} aria-describedby={errors.type ? 'type-pro-erreur' : undefined} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            <option value="">{t('proTypeChoose')}</option>
            {types?.types.map((x) => (
              <option key={x.code} value={x.code}>
                {x.label}
              </option>
            ))}
          </select>
        </div>
        {progress !== null && <Progress label={t('uploadProgress')} fraction={progress} id="progression-pro" />}
        <button type="submit" class="principal" disabled={progress !== null}>
          {t('proAddDocumentSubmit')}
        </button>
      </form>
    </section>
  );
}

function AddProfileItem(props: { space: string; onDone: () => void }) {
  const [kind, setKind] = useState('AllergyIntolerance');
  const [words, setWords] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState('');
  async function add(event: Event) {
    event.preventDefault();
    if (!words.trim()) {
      setErrors({ words: t('profileWordsMissing') });
      return;
    }
    const patient = { reference: `Patient/${props.space}` };
    const today = new Date().toISOString().slice(0, 10);
    const resource: Record<string, unknown> =
      kind === 'AllergyIntolerance'
        ? { resourceType: kind, code: { text: words.trim() }, patient }
        : kind === 'Condition'
          ? { resourceType: kind, code: { text: words.trim() }, subject: patient }
          : kind === 'Immunization'
            ? { resourceType: kind, status: 'completed', vaccineCode: { text: words.trim() }, patient, occurrenceDateTime: today }
            : { resourceType: kind, status: 'active', medicationCodeableConcept: { text: words.trim() }, subject: patient };
    try {
      await create(resource as unknown as Resource);
      setDone(t('profileAdded').replace('{what}', words.trim()));
      setWords('');
      setErrors({});
      props.onDone();
    } catch (err) {
      setErrors({ form: err instanceof ApiError && err.status === 403 ? t('proNotAllowedAdd') : errorMessage(err) });
    }
  }
  return (
    <section class="encart" aria-labelledby="profil-pro-titre">
      <h2 id="profil-pro-titre">{t('proAddProfile')}</h2>
      {done && <Notice kind="success">{done}</Notice>}
      {errors.form && <Notice kind="error">{errors.form}</Notice>}
      <form onSubmit={add} noValidate>
        <div class="champ">
          <label for="type-profil">{t('proProfileKind')}</label>
          <select id="type-profil" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
            <option value="AllergyIntolerance">{t('profileAllergies')}</option>
            <option value="Condition">{t('profileHistory')}</option>
            <option value="MedicationStatement">{t('profileTreatments')}</option>
            <option value="Immunization">{t('profileVaccinations')}</option>
          </select>
        </div>
        <Field id="profil-mots" label={t('proProfileWords')} value={words} onValue={setWords} error={errors.words} required />
        <button type="submit" class="principal">
          {t('profileSave')}
        </button>
      </form>
    </section>
  );
}

export function ProfessionalPatient({ params }: { params: Record<string, string> }) {
  const space = params.space;
  const patient = recall(space);
  const [access, setAccess] = useState<AccessState>('checking');
  const [version, setVersion] = useState(0);

  useEffect(() => {
    // Any search tells whether this professional may see the record now.
    search('DocumentReference', { patient: `Patient/${space}`, _count: '1', _summary: 'count' }).then(
      () => setAccess('granted'),
      (e) => setAccess(e instanceof ApiError && e.status === 403 && /no care relationship|blocked/.test(e.detail) ? 'none' : 'granted'),
    );
  }, [space, version]);

  const who = patient.birth_name
    ? `${patient.first_names ?? ''} ${patient.birth_name}${patient.birth_date ? ` (${patient.sex === 'F' ? t('bornOnF') : t('bornOnM')} ${frenchDate(patient.birth_date)})` : ''}`.trim()
    : t('proPatient');
  return (
    <Page title={who} wide>
      {patient.birth_name && <p class="aide">{t('proCheckIdentity')}</p>}
      <p>
        <a href="/pro">{t('proOtherPatient')}</a>
      </p>
      {access === 'checking' && <Loading />}
      {access === 'none' && <DeclareAccess space={space} onGranted={() => setVersion(version + 1)} />}
      {access === 'granted' && (
        <>
          <Notice kind="info">{t('proTraced')}</Notice>
          <PatientDocuments space={space} version={version} />
          <PatientSummary space={space} version={version} />
          <AddDocument space={space} onDone={() => setVersion(version + 1)} />
          <AddProfileItem space={space} onDone={() => setVersion(version + 1)} />
        </>
      )}
    </Page>
  );
}
