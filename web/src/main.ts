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

translate(document);
void showStatus();
