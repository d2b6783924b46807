// The document classes, types and formats the server accepts (labels in French), fetched once.
import { useEffect, useState } from 'preact/hooks';
import { get } from './api';

export interface DocumentTypes {
  classes: { system: string; code: string; label: string }[];
  types: { system: string; code: string; label: string; class: string }[];
  formats: { content_type: string; label: string }[];
  max_document_bytes: number;
}

let cached: Promise<DocumentTypes> | null = null;

export function documentTypes(): Promise<DocumentTypes> {
  cached ??= get<DocumentTypes>('/api/v1/documents/types').catch((e) => {
    cached = null;
    throw e;
  });
  return cached;
}

export function useDocumentTypes(): DocumentTypes | null {
  const [types, setTypes] = useState<DocumentTypes | null>(null);
  useEffect(() => {
    documentTypes().then(setTypes, () => setTypes(null));
  }, []);
  return types;
}
