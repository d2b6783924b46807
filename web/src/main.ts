import { t, type MessageKey, messages } from './messages';

function isMessageKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(messages, key);
}

function translate(root: ParentNode): void {
  root.querySelectorAll<HTMLElement>('[data-msg]').forEach((el) => {
    const key = el.dataset.msg ?? '';
    if (isMessageKey(key)) el.textContent = t(key);
  });
}

async function showStatus(): Promise<void> {
  const el = document.getElementById('etat');
  if (!el) return;
  try {
    const res = await fetch('/readyz', { headers: { Accept: 'application/json' } });
    el.textContent = res.ok ? t('statusReady') : t('statusUnavailable');
  } catch {
    el.textContent = t('statusUnavailable');
  }
}

// The API's error categories, in the user's words.
function oppositionError(status: number, body: { message?: string }): string {
  if (status === 401) return t('errorNoMatch');
  if (status === 403) return t('errorLocked');
  if (status === 409) return t('errorTooLate');
  if (status === 400) return t('errorInvalid') + (body.message ?? '');
  return t('errorServer');
}

function setUpOpposition(): void {
  const form = document.getElementById('form-opposition') as HTMLFormElement | null;
  const result = document.getElementById('opposition-resultat');
  if (!form || !result) return;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!window.confirm(t('opposeConfirm'))) return;
    const data = new FormData(form);
    const payload = {
      nir: String(data.get('nir') ?? ''),
      birth_date: String(data.get('birth_date') ?? ''),
      code: String(data.get('code') ?? ''),
    };
    void (async () => {
      try {
        const res = await fetch('/api/v1/opposition', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(payload),
        });
        if (res.ok) {
          result.textContent = t('opposeDone');
          form.reset();
          return;
        }
        const body = (await res.json().catch(() => ({}))) as { message?: string };
        result.textContent = oppositionError(res.status, body);
      } catch {
        result.textContent = t('errorServer');
      }
    })();
  });
}

translate(document);
const page = window.location.pathname.replace(/\/+$/, '') === '/opposition' ? 'opposition' : 'accueil';
const section = document.getElementById(page);
if (section) section.hidden = false;
if (page === 'opposition') {
  document.title = t('opposeTitle') + ' — Carnet';
  setUpOpposition();
} else {
  void showStatus();
}
