// The holder's documents: filter, open, download, add from a phone or a computer (with a
// progress bar), and — next to each document, not in a settings page — hide it from
// professionals or delete it when the holder added it.
import { useEffect, useState } from 'preact/hooks';
import { ActionLabel, Field, FileField, Loading, Notice, Page, Progress, WhoCanSee } from '../components';
import { t } from '../messages';
import { ApiError, del, errorMessage, get, put, uploadBinary } from '../lib/api';
import { fileSize, frenchDate } from '../lib/format';
import { create, documentTitle, nextLink, resources, search, text, type Bundle, type DocumentReference } from '../lib/fhir';
import { useLocation } from '../lib/router';
import { useSession } from '../lib/session';
import { useDocumentTypes, type DocumentTypes } from '../lib/document-types';
import { useHidden, type HiddenEntry } from '../lib/hidden';

const PERIODS: Record<string, number> = { mois: 31, an: 366, '5ans': 5 * 366 };

function since(days: number): string {
  return new Date(Date.now() - days * 86400000).toISOString().slice(0, 10);
}

export function authorLabel(d: DocumentReference, mySpace: string | undefined): string {
  const a = d.author?.[0];
  if (!a) return '';
  if (a.reference === `Patient/${mySpace}`) return t('docAddedByYou');
  return a.display ?? (a.reference?.startsWith('Practitioner/') ? t('docAddedByPro') : '');
}

export function addedByHolder(d: DocumentReference, mySpace: string | undefined): boolean {
  return d.author?.some((a) => a.reference === `Patient/${mySpace}`) ?? false;
}

export function HideButton(props: { doc: DocumentReference; hidden: HiddenEntry | undefined; onChanged: (msg: string) => void; onError: (msg: string) => void }) {
  const hidden = props.hidden?.from_professionals ?? false;
  const [busy, setBusy] = useState(false);
  const title = documentTitle(props.doc);
  async function toggle() {
    setBusy(true);
    try {
      await put(`/api/v1/care/hidden/DocumentReference/${props.doc.id}`, {
        from_professionals: !hidden,
        from_representatives: props.hidden?.from_representatives ?? false,
      });
      props.onChanged((hidden ? t('docUnhidden') : t('docHiddenDone')).replace('{title}', title));
    } catch (e) {
      props.onError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <button type="button" class="secondaire petit" disabled={busy} onClick={() => void toggle()}>
      <ActionLabel text={hidden ? t('docUnhide') : t('docHide')} about={title} />
    </button>
  );
}

function Upload(props: { types: DocumentTypes | null; space: string; initialType: string; onDone: (title: string) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [title, setTitle] = useState('');
  const [type, setType] = useState(props.initialType);
  const [progress, setProgress] = useState<number | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [inputKey, setInputKey] = useState(0);  // a new key empties the file input
  const max = props.types?.max_document_bytes ?? 20_000_000;
  const accept = props.types?.formats.map((f) => f.content_type).join(',') ?? 'application/pdf,image/jpeg,image/png';

  async function send(event: Event) {
    event.preventDefault();
    const e: Record<string, string> = {};
    if (!file) e.file = t('uploadNoFile');
    else if (file.size > max) e.file = t('uploadTooBig').replace('{max}', fileSize(max));
    else if (props.types && !props.types.formats.some((f) => f.content_type === file.type)) e.file = t('uploadBadType');
    if (!title.trim()) e.title = t('uploadNoTitle');
    setErrors(e);
    if (Object.keys(e).length || !file) return;
    setProgress(0);
    try {
      const { done } = uploadBinary(file, setProgress);
      const binary = await done;
      const chosen = props.types?.types.find((x) => x.code === type);
      const doc: DocumentReference = {
        resourceType: 'DocumentReference',
        status: 'current',
        subject: { reference: `Patient/${props.space}` },
        date: new Date().toISOString(),
        content: [{ attachment: { contentType: file.type, url: `Binary/${binary.id}`, title: title.trim(), size: file.size } }],
      };
      if (chosen) {
        doc.type = { coding: [{ system: chosen.system, code: chosen.code, display: chosen.label }] };
        const cls = props.types?.classes.find((c) => c.code === chosen.class);
        if (cls) doc.category = [{ coding: [{ system: cls.system, code: cls.code, display: cls.label }] }];
      }
      await create(doc);
      setFile(null);
      setTitle('');
      setType('');
      setProgress(null);
      setInputKey(inputKey + 1);
      props.onDone(title.trim());
    } catch (err) {
      setProgress(null);
      if (err instanceof ApiError && err.status === 400) setErrors({ file: errorMessage(err) });
      else setErrors({ form: errorMessage(err) });
    }
  }

  return (
    <section class="encart" aria-labelledby="ajout-titre">
      <h2 id="ajout-titre">{t('uploadTitle')}</h2>
      <form onSubmit={send} noValidate>
        {errors.form && <Notice kind="error">{errors.form}</Notice>}
        <FileField
          id="fichier"
          label={t('uploadFile')}
          hint={t('uploadFileHint').replace('{max}', fileSize(max))}
          error={errors.file}
          accept={accept}
          reset={inputKey}
          onFile={(f) => {
            setFile(f);
            if (f && !title) setTitle(f.name.replace(/\.[^.]+$/, ''));
          }}
        />
        <Field id="titre-document" label={t('uploadDocTitle')} value={title} onValue={setTitle} error={errors.title} required />
        <div class="champ">
          <label for="type-document">{t('uploadType')}</label>
          <select id="type-document" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            <option value="">{t('uploadTypeNone')}</option>
            {props.types?.types.map((x) => (
              <option key={x.code} value={x.code}>
                {x.label}
              </option>
            ))}
          </select>
        </div>
        {progress !== null && <Progress label={t('uploadProgress')} fraction={progress} id="progression-envoi" />}
        <button type="submit" class="principal" disabled={progress !== null}>
          {t('uploadSubmit')}
        </button>
      </form>
    </section>
  );
}

export function Documents() {
  const { me } = useSession();
  const { query } = useLocation();
  const types = useDocumentTypes();
  const hidden = useHidden();
  const [category, setCategory] = useState('');
  const [period, setPeriod] = useState('');
  const [words, setWords] = useState('');
  const [applied, setApplied] = useState({ category: '', period: '', words: '' });
  const [docs, setDocs] = useState<DocumentReference[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setDocs(null);
    search<DocumentReference>('DocumentReference', {
      status: 'current',
      _sort: '-date',
      _count: '20',
      category: applied.category || undefined,
      date: applied.period ? 'ge' + since(PERIODS[applied.period]) : undefined,
      title: applied.words || undefined,
    })
      .then((b) => {
        if (cancelled) return;
        setDocs(resources(b, 'DocumentReference'));
        setNext(nextLink(b));
      })
      .catch((e) => !cancelled && setMessage({ kind: 'error', text: errorMessage(e) }));
    return () => {
      cancelled = true;
    };
  }, [applied, reload]);

  async function more() {
    if (!next) return;
    try {
      const b = await get<Bundle<DocumentReference>>(next);
      setDocs([...(docs ?? []), ...resources(b, 'DocumentReference')]);
      setNext(nextLink(b));
    } catch (e) {
      setMessage({ kind: 'error', text: errorMessage(e) });
    }
  }

  async function remove(d: DocumentReference) {
    if (!window.confirm(t('docDeleteConfirm').replace('{title}', documentTitle(d)))) return;
    try {
      await del(`/fhir/r4/DocumentReference/${d.id}`);
      setMessage({ kind: 'success', text: t('docDeleted').replace('{title}', documentTitle(d)) });
      setReload(reload + 1);
    } catch (e) {
      setMessage({ kind: 'error', text: errorMessage(e) });
    }
  }

  const changed = (text: string) => {
    setMessage({ kind: 'success', text });
    hidden.reload();
  };

  return (
    <Page title={t('documentsTitle')} wide>
      <WhoCanSee text={t('whoCanSeeDocuments')} />
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
      <form
        class="filtres"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ category, period, words: words.trim() });
        }}
      >
        <div class="champ">
          <label for="filtre-categorie">{t('filterCategory')}</label>
          <select id="filtre-categorie" value={category} onChange={(e) => setCategory((e.target as HTMLSelectElement).value)}>
            <option value="">{t('filterAll')}</option>
            {types?.classes.map((c) => (
              <option key={c.code} value={`${c.system}|${c.code}`}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <div class="champ">
          <label for="filtre-periode">{t('filterPeriod')}</label>
          <select id="filtre-periode" value={period} onChange={(e) => setPeriod((e.target as HTMLSelectElement).value)}>
            <option value="">{t('filterAllDates')}</option>
            <option value="mois">{t('filterMonth')}</option>
            <option value="an">{t('filterYear')}</option>
            <option value="5ans">{t('filter5Years')}</option>
          </select>
        </div>
        <Field id="filtre-mots" label={t('filterWords')} value={words} onValue={setWords} type="search" />
        <button type="submit" class="secondaire">
          {t('filterApply')}
        </button>
      </form>
      {docs === null ? (
        <Loading />
      ) : docs.length === 0 ? (
        <p>{applied.category || applied.period || applied.words ? t('documentsNoneFiltered') : t('documentsNone')}</p>
      ) : (
        <ul class="liste-documents">
          {docs.map((d) => {
            const h = hidden.byId.get(`DocumentReference/${d.id}`);
            return (
              <li key={d.id} class="document">
                <div class="document-infos">
                  <a href={`/espace/documents/${d.id}`} class="document-titre">
                    {documentTitle(d)}
                  </a>
                  <p class="document-meta">
                    {[frenchDate(d.date), text(d.category?.[0]) || text(d.type), authorLabel(d, me?.acting_space_id)].filter(Boolean).join(' · ')}
                  </p>
                  {h?.from_professionals && <p class="badge">{t('docHiddenBadge')}</p>}
                </div>
                <div class="document-actions">
                  <HideButton doc={d} hidden={h} onChanged={changed} onError={(text) => setMessage({ kind: 'error', text })} />
                  {addedByHolder(d, me?.acting_space_id) && (
                    <button type="button" class="secondaire petit" onClick={() => void remove(d)}>
                      <ActionLabel text={t('docDelete')} about={documentTitle(d)} />
                    </button>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {next && (
        <button type="button" class="secondaire" onClick={() => void more()}>
          {t('showMore')}
        </button>
      )}
      {me?.acting_space_id && (
        <Upload
          types={types}
          space={me.acting_space_id}
          initialType={query.get('type') ?? ''}
          onDone={(title) => {
            setMessage({ kind: 'success', text: t('uploadDone').replace('{title}', title) });
            setReload(reload + 1);
          }}
        />
      )}
    </Page>
  );
}
