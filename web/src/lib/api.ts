// The one way the portal talks to carnetd: /api/v1 for accounts, care and operations, /fhir/r4
// for health data. Same origin only; the session is an HttpOnly cookie and every unsafe
// request carries the session's CSRF token. A 401 anywhere means the session ended: the
// portal goes back to sign-in and, after it, to the page the person was on.
import { t, type MessageKey } from '../messages';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  // The server's own words (English for /api, FHIR diagnostics for /fhir): kept for the
  // field-level mapping and for support, never shown raw unless it is already French.
  readonly detail: string;
  readonly expression: string[];

  constructor(status: number, code: string, detail: string, expression: string[] = []) {
    super(detail || code);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.expression = expression;
  }
}

let csrfToken = '';
let onSessionEnded: (() => void) | null = null;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export function whenSessionEnds(callback: () => void): void {
  onSessionEnded = callback;
}

export interface RequestOptions {
  // Sign-in steps answer 401 for a wrong password or code: not a session that ended.
  expectUnauthenticated?: boolean;
  // The request checks the password or a code again (password change, second factor): a 401
  // for a wrong one is the caller's to show next to the field; a 401 because the session
  // itself ended still leads back to sign-in.
  reauthenticates?: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const SAFE = new Set(['GET', 'HEAD']);

function isFhir(path: string): boolean {
  return path.startsWith('/fhir/');
}

async function errorFrom(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (body && typeof body === 'object') {
    const b = body as {
      error?: string;
      message?: string;
      resourceType?: string;
      issue?: { code?: string; diagnostics?: string; expression?: string[] }[];
    };
    if (b.resourceType === 'OperationOutcome' && Array.isArray(b.issue)) {
      const first = b.issue[0] ?? {};
      const detail = b.issue.map((i) => i.diagnostics ?? '').filter(Boolean).join(' ; ');
      const expression = b.issue.flatMap((i) => i.expression ?? []);
      return new ApiError(res.status, first.code ?? 'error', detail, expression);
    }
    return new ApiError(res.status, b.error ?? 'error', b.message ?? '');
  }
  return new ApiError(res.status, 'error', '');
}

export async function request(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {
    Accept: isFhir(path) ? 'application/fhir+json' : 'application/json',
    ...options.headers,
  };
  let payload: BodyInit | undefined;
  if (body instanceof Blob || typeof body === 'string') {
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = isFhir(path) ? 'application/fhir+json' : 'application/json';
    payload = JSON.stringify(body);
  }
  if (!SAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', signal: options.signal });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', '');
  }
  if (res.ok) return res;
  const error = await errorFrom(res);
  const sessionEnded = options.reauthenticates ? /not signed in/.test(error.detail) : !options.expectUnauthenticated;
  if (res.status === 401 && sessionEnded && onSessionEnded) onSessionEnded();
  throw error;
}

export async function json<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const res = await request(method, path, body, options);
  if (res.status === 204 || res.headers.get('Content-Length') === '0') return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(path: string, options?: RequestOptions) => json<T>('GET', path, undefined, options);
export const post = <T>(path: string, body?: unknown, options?: RequestOptions) => json<T>('POST', path, body, options);
export const put = <T>(path: string, body?: unknown, options?: RequestOptions) => json<T>('PUT', path, body, options);
export const del = <T>(path: string, options?: RequestOptions) => json<T>('DELETE', path, undefined, options);

// Sends a body with upload progress (fetch has none); resolves with the answer's text.
export function upload(
  path: string,
  body: Blob,
  contentType: string,
  onProgress: (fraction: number) => void,
  headers: Record<string, string> = {},
): { done: Promise<{ text: string; location: string }>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<{ text: string; location: string }>((resolve, reject) => {
    xhr.open('POST', path);
    xhr.setRequestHeader('Content-Type', contentType);
    xhr.setRequestHeader('Accept', isFhir(path) ? 'application/fhir+json' : 'application/json, application/x-ndjson');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', ''));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', ''));
    xhr.onload = async () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve({ text: xhr.responseText, location: xhr.getResponseHeader('Location') ?? '' });
        return;
      }
      const res = new Response(xhr.responseText || null, {
        status: xhr.status,
        headers: { 'Content-Type': xhr.getResponseHeader('Content-Type') ?? 'application/json' },
      });
      const error = await errorFrom(res);
      if (xhr.status === 401 && onSessionEnded) onSessionEnded();
      reject(error);
    };
    xhr.send(body);
  });
  return { done, abort: () => xhr.abort() };
}

// A document's bytes as a FHIR Binary, with progress; the Binary's id.
export function uploadBinary(
  file: Blob,
  onProgress: (fraction: number) => void,
  headers: Record<string, string> = {},
): { done: Promise<{ id: string }>; abort: () => void } {
  const sent = upload('/fhir/r4/Binary', file, file.type || 'application/octet-stream', onProgress, headers);
  const done = sent.done.then(({ text, location }) => {
    let id = '';
    try {
      id = (JSON.parse(text) as { id?: string }).id ?? '';
    } catch {
      id = '';
    }
    return { id: id || (location.split('/Binary/')[1]?.split('/')[0] ?? '') };
  });
  return { done, abort: sent.abort };
}

// The message to show for an error, in plain French: the status decides; a field-specific
// message is the caller's job (see fieldErrors in the forms).
export function errorMessage(e: unknown, byStatus: Partial<Record<number, MessageKey>> = {}): string {
  if (e instanceof ApiError) {
    const key = byStatus[e.status];
    if (key) return t(key);
    if (e.status === 0) return t('errorNetwork');
    if (e.status === 429) return t('errorThrottled');
    if (e.status === 403) return t('errorForbidden');
    if (e.status === 404) return t('errorNotFound');
    if (e.status === 413) return t('errorTooLarge');
    if (e.status >= 500) return t('errorServer');
    // Checks made by the server in French (documents, measurements) are shown as they are.
    if (/[éèàùçê]/.test(e.detail) || /^(attendu|le |la |les |un |une )/i.test(e.detail)) return e.detail;
    return t('errorInvalidGeneric');
  }
  return t('errorServer');
}
