// The portal's building blocks: every form field has a visible label, its hint and its
// error next to it (announced, and linked with aria-describedby); every page has one h1
// that receives the focus when the page changes, so screen readers and keyboards start there.
import type { ComponentChildren, InputHTMLAttributes, PartialInputHTMLAttributes } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { t } from './messages';

export function Page(props: { title: string; children: ComponentChildren; wide?: boolean }) {
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} — Carnet`;
    // Focus the heading on page changes (not on the very first load: the browser starts at
    // the top anyway and a focused heading there would hide the skip link).
    if (document.body.dataset.navigated) h1.current?.focus();
    document.body.dataset.navigated = '1';
  }, [props.title]);
  return (
    <div class={props.wide ? 'page page-large' : 'page'}>
      <h1 tabIndex={-1} ref={h1}>
        {props.title}
      </h1>
      {props.children}
    </div>
  );
}

type FieldProps = Omit<PartialInputHTMLAttributes<HTMLInputElement>, 'label' | 'value' | 'onInput' | 'role' | 'type'> & {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  value: string;
  onValue: (value: string) => void;
  type?: string;
};

export function Field({ id, label, hint, error, value, onValue, ...input }: FieldProps) {
  const described = [hint ? `${id}-aide` : '', error ? `${id}-erreur` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={error ? 'champ champ-erreur' : 'champ'}>
      <label for={id}>{label}</label>
      {hint && (
        <p id={`${id}-aide`} class="aide">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-erreur`} class="erreur-champ">
          <span class="sr-only">{t('errorPrefix')}</span>
          {error}
        </p>
      )}
      <input
        {...(input as InputHTMLAttributes<HTMLInputElement>)}
        id={id}
        name={id}
        value={value}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described}
        onInput={(e) => onValue((e.target as HTMLInputElement).value)}
      />
    </div>
  );
}

export function Choice(props: {
  name: string;
  legend: string;
  options: { value: string; label: string; hint?: string }[];
  value: string;
  onValue: (v: string) => void;
  error?: string;
}) {
  return (
    <fieldset class={props.error ? 'champ champ-erreur' : 'champ'} aria-describedby={props.error ? `${props.name}-erreur` : undefined}>
      <legend>{props.legend}</legend>
      {props.error && (
        <p id={`${props.name}-erreur`} class="erreur-champ">
          {props.error}
        </p>
      )}
      {props.options.map((o) => (
        <div class="option" key={o.value}>
          <input
            type="radio"
            id={`${props.name}-${o.value}`}
            name={props.name}
            value={o.value}
            checked={props.value === o.value}
            onChange={() => props.onValue(o.value)}
            aria-describedby={o.hint ? `${props.name}-${o.value}-aide` : undefined}
          />
          <label for={`${props.name}-${o.value}`}>{o.label}</label>
          {o.hint && (
            <p class="aide" id={`${props.name}-${o.value}-aide`}>
              {o.hint}
            </p>
          )}
        </div>
      ))}
    </fieldset>
  );
}

// A message about the whole page or form. `alert` interrupts (errors); `status` waits.
export function Notice(props: { kind: 'error' | 'success' | 'info'; children: ComponentChildren; id?: string }) {
  const role = props.kind === 'error' ? 'alert' : 'status';
  return (
    <div id={props.id} class={`notice notice-${props.kind}`} role={role}>
      {props.children}
    </div>
  );
}

// "Étape 2 sur 3 : …" with the list of steps, for activation.
export function Steps(props: { labels: string[]; current: number }) {
  return (
    <nav aria-label={t('stepsLabel')} class="etapes">
      <p class="etape-courante">
        {t('stepOf')
          .replace('{n}', String(props.current + 1))
          .replace('{total}', String(props.labels.length))}{' '}
        : {props.labels[props.current]}
      </p>
      <ol>
        {props.labels.map((label, i) => (
          <li key={label} class={i < props.current ? 'faite' : i === props.current ? 'active' : ''} aria-current={i === props.current ? 'step' : undefined}>
            {label}
            {i < props.current && <span class="sr-only"> ({t('stepDone')})</span>}
          </li>
        ))}
      </ol>
    </nav>
  );
}

// Says, in one sentence, who else can see the health data on a page, with a link to change it.
export function WhoCanSee(props: { text: string }) {
  return (
    <p class="qui-voit">
      <span>{props.text}</span> <a href="/espace/acces">{t('whoCanSeeLink')}</a>
    </p>
  );
}

export function Progress(props: { label: string; fraction: number; id?: string }) {
  const percent = Math.round(props.fraction * 100);
  return (
    <div class="progression">
      <label for={props.id ?? 'progression'}>{props.label}</label>
      <progress id={props.id ?? 'progression'} max={100} value={percent}>
        {percent} %
      </progress>
      <span aria-hidden="true"> {percent} %</span>
    </div>
  );
}

export function Loading() {
  return (
    <p role="status" class="chargement">
      {t('loading')}
    </p>
  );
}

// A button's visible words, completed for screen readers with what it acts on ("Bloquer —
// Dr Claire MARTIN"): the accessible name starts with the visible label (WCAG 2.5.3), and
// a list of identical buttons stays distinguishable.
export function ActionLabel(props: { text: string; about: string }) {
  return (
    <>
      {props.text}
      <span class="sr-only"> — {props.about}</span>
    </>
  );
}

// A file chooser with its label, hint and error next to it, like Field. A new `reset` value
// empties it (after an upload).
export function FileField(props: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  accept?: string;
  reset?: number;
  onFile: (file: File | null) => void;
}) {
  const { id, error, hint } = props;
  const described = [hint ? `${id}-aide` : '', error ? `${id}-erreur` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={error ? 'champ champ-erreur' : 'champ'}>
      <label for={id}>{props.label}</label>
      {hint && (
        <p class="aide" id={`${id}-aide`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="erreur-champ" id={`${id}-erreur`}>
          <span class="sr-only">{t('errorPrefix')}</span>
          {error}
        </p>
      )}
      <input
        key={props.reset ?? 0}
        type="file"
        id={id}
        accept={props.accept}
        aria-describedby={described}
        aria-invalid={error ? 'true' : undefined}
        onChange={(e) => props.onFile((e.target as HTMLInputElement).files?.[0] ?? null)}
      />
    </div>
  );
}
