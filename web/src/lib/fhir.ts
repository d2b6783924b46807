// The few FHIR R4 shapes the portal reads, and helpers to read them.
import { get, post } from './api';

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}
export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}
export interface Reference {
  reference?: string;
  display?: string;
}
export interface Attachment {
  contentType?: string;
  url?: string;
  title?: string;
  size?: number;
  creation?: string;
  data?: string;
}
export interface Resource {
  resourceType: string;
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string; security?: Coding[] };
}
export interface DocumentReference extends Resource {
  resourceType: 'DocumentReference';
  status?: string;
  type?: CodeableConcept;
  category?: CodeableConcept[];
  subject?: Reference;
  date?: string;
  author?: Reference[];
  description?: string;
  securityLabel?: CodeableConcept[];
  content: { attachment: Attachment }[];
}
export interface Practitioner extends Resource {
  resourceType: 'Practitioner';
  name?: { family?: string; given?: string[]; prefix?: string[] }[];
}

// "Dr Claire MARTIN", as the directory writes it.
export function practitionerName(p: Practitioner): string {
  const n = p.name?.[0];
  return n ? [...(n.prefix ?? []), ...(n.given ?? []), n.family ?? ''].filter(Boolean).join(' ') : '';
}

export interface Bundle<T extends Resource = Resource> {
  resourceType: 'Bundle';
  total?: number;
  link?: { relation: string; url: string }[];
  entry?: { resource: T; search?: { mode?: string } }[];
}

export function resources<T extends Resource>(bundle: Bundle<T>, type?: string): T[] {
  return (bundle.entry ?? []).map((e) => e.resource).filter((r) => !type || r.resourceType === type);
}

export function nextLink(bundle: Bundle): string | null {
  const next = bundle.link?.find((l) => l.relation === 'next')?.url;
  if (!next) return null;
  const url = new URL(next, window.location.origin);
  return url.pathname + url.search;
}

export function search<T extends Resource>(type: string, params: Record<string, string | undefined>): Promise<Bundle<T>> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.append(k, v);
  return get<Bundle<T>>(`/fhir/r4/${type}?${q.toString()}`);
}

export function read<T extends Resource>(type: string, id: string): Promise<T> {
  return get<T>(`/fhir/r4/${type}/${encodeURIComponent(id)}`);
}

export function create<T extends Resource>(resource: T, headers: Record<string, string> = {}): Promise<T> {
  return post<T>(`/fhir/r4/${resource.resourceType}`, resource, { headers: { Prefer: 'return=representation', ...headers } });
}

export function text(c: CodeableConcept | undefined): string {
  return c?.text ?? c?.coding?.find((x) => x.display)?.display ?? c?.coding?.[0]?.code ?? '';
}

export function documentTitle(d: DocumentReference): string {
  return d.content[0]?.attachment.title || d.description || text(d.type) || 'Document';
}

export function binaryId(d: DocumentReference): string | null {
  const url = d.content[0]?.attachment.url ?? '';
  const m = /(?:^|\/)Binary\/([^/?#]+)/.exec(url);
  return m ? m[1] : null;
}
