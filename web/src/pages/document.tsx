// One document: preview in the page (PDF pages, image or text), download, hide it from
// professionals, delete it when the holder added it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Loading, Notice, Page, WhoCanSee } from '../components';
import { t } from '../messages';
import { del, errorMessage } from '../lib/api';
import { fileSize, frenchDate } from '../lib/format';
import { binaryId, documentTitle, practitionerName, read, text, type DocumentReference, type Practitioner } from '../lib/fhir';
import { navigate } from '../lib/router';
import { useSession } from '../lib/session';
import { useHidden } from '../lib/hidden';
import { addedByHolder, authorLabel, HideButton } from './documents';

type PreviewState = { kind: 'loading' } | { kind: 'pdf'; pages: number } | { kind: 'image' } | { kind: 'text'; body: string } | { kind: 'none' } | { kind: 'error'; text: string };

export function Preview(props: { doc: DocumentReference }) {
  const box = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<PreviewState>({ kind: 'loading' });
  const attachment = props.doc.content[0]?.attachment;
  const id = binaryId(props.doc);
  const type = attachment?.contentType ?? '';
  const title = documentTitle(props.doc);

  useEffect(() => {
    let cancelled = false;
    const container = box.current;
    if (!container || !id) {
      setState({ kind: 'none' });
      return;
    }
    container.replaceChildren();
    const previewable = type === 'application/pdf' || type === 'image/jpeg' || type === 'image/png' || type === 'text/plain';
    if (!previewable) {
      setState({ kind: 'none' });
      return;
    }
    setState({ kind: 'loading' });
    (async () => {
      const res = await fetch(`/fhir/r4/Binary/${encodeURIComponent(id)}`, { headers: { Accept: type }, credentials: 'same-origin' });
      if (!res.ok) throw new Error(String(res.status));
      if (type === 'application/pdf') {
        const { renderPdf } = await import('../lib/preview');
        const pages = await renderPdf(await res.arrayBuffer(), container, (n, total) =>
          t('previewPage').replace('{n}', String(n)).replace('{total}', String(total)).replace('{title}', title),
        );
        if (!cancelled) setState({ kind: 'pdf', pages });
      } else if (type.startsWith('image/')) {
        // Drawn on a canvas: the page's security policy allows no image from a blob: address.
        const bitmap = await createImageBitmap(await res.blob());
        const canvas = document.createElement('canvas');
        canvas.width = bitmap.width;
        canvas.height = bitmap.height;
        canvas.style.maxWidth = '100%';
        canvas.setAttribute('role', 'img');
        canvas.setAttribute('aria-label', t('previewImage').replace('{title}', title));
        canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
        container.appendChild(canvas);
        if (!cancelled) setState({ kind: 'image' });
      } else {
        const body = await res.text();
        if (!cancelled) setState({ kind: 'text', body });
      }
    })().catch(() => !cancelled && setState({ kind: 'error', text: t('previewFailed') }));
    return () => {
      cancelled = true;
    };
  }, [id, type]);

  return (
    <section class="apercu" aria-labelledby="apercu-titre">
      <h2 id="apercu-titre">{t('previewTitle')}</h2>
      {state.kind === 'loading' && <Loading />}
      {state.kind === 'none' && <p>{t('previewNone')}</p>}
      {state.kind === 'error' && <Notice kind="error">{state.text}</Notice>}
      {state.kind === 'pdf' && (
        <p class="aide" role="status">
          {state.pages === 1 ? t('previewOnePage') : t('previewPages').replace('{n}', String(state.pages))}
        </p>
      )}
      {state.kind === 'text' && <pre class="texte-document">{state.body}</pre>}
      <div ref={box} class="apercu-pages" data-testid="apercu" />
    </section>
  );
}

export function DocumentPage({ params }: { params: Record<string, string> }) {
  const { me } = useSession();
  const hidden = useHidden();
  const [doc, setDoc] = useState<DocumentReference | null>(null);
  const [author, setAuthor] = useState('');
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);

  useEffect(() => {
    read<DocumentReference>('DocumentReference', params.id).then(
      (d) => {
        setDoc(d);
        // A professional author is named from the directory (readable by anyone signed in).
        const ref = d.author?.[0]?.reference ?? '';
        if (ref.startsWith('Practitioner/') && !d.author?.[0]?.display) {
          read<Practitioner>('Practitioner', ref.slice('Practitioner/'.length)).then((p) => setAuthor(practitionerName(p)), () => setAuthor(''));
        }
      },
      (e) => setMessage({ kind: 'error', text: errorMessage(e) }),
    );
  }, [params.id]);

  if (!doc) {
    return (
      <Page title={t('documentTitle')}>
        {message ? <Notice kind={message.kind}>{message.text}</Notice> : <Loading />}
        <p>
          <a href="/espace/documents">{t('backToDocuments')}</a>
        </p>
      </Page>
    );
  }
  const attachment = doc.content[0]?.attachment;
  const bin = binaryId(doc);
  const h = hidden.byId.get(`DocumentReference/${doc.id}`);

  async function remove() {
    if (!doc || !window.confirm(t('docDeleteConfirm').replace('{title}', documentTitle(doc)))) return;
    try {
      await del(`/fhir/r4/DocumentReference/${doc.id}`);
      navigate('/espace/documents');
    } catch (e) {
      setMessage({ kind: 'error', text: errorMessage(e) });
    }
  }

  return (
    <Page title={documentTitle(doc)} wide>
      <WhoCanSee text={h?.from_professionals ? t('whoCanSeeHiddenDocument') : t('whoCanSeeDocument')} />
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
      <dl class="details">
        <dt>{t('docDate')}</dt>
        <dd>{frenchDate(doc.date) || '—'}</dd>
        <dt>{t('docKind')}</dt>
        <dd>{text(doc.type) || text(doc.category?.[0]) || '—'}</dd>
        <dt>{t('docAuthor')}</dt>
        <dd>{author || authorLabel(doc, me?.acting_space_id) || '—'}</dd>
        {attachment?.size !== undefined && (
          <>
            <dt>{t('docSize')}</dt>
            <dd>{fileSize(attachment.size)}</dd>
          </>
        )}
      </dl>
      <div class="actions">
        {bin && (
          <a class="bouton secondaire" href={`/fhir/r4/Binary/${bin}`} download>
            {t('docDownload')}
          </a>
        )}
        <HideButton
          doc={doc}
          hidden={h}
          onChanged={(text) => {
            setMessage({ kind: 'success', text });
            hidden.reload();
          }}
          onError={(text) => setMessage({ kind: 'error', text })}
        />
        {addedByHolder(doc, me?.acting_space_id) && (
          <button type="button" class="secondaire" onClick={() => void remove()}>
            {t('docDelete')}
          </button>
        )}
      </div>
      {h?.from_professionals && <p class="badge">{t('docHiddenBadge')}</p>}
      <Preview doc={doc} />
      <p>
        <a href="/espace/documents">{t('backToDocuments')}</a>
      </p>
    </Page>
  );
}
