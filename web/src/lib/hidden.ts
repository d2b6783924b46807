// What the holder hid, and from whom (GET /api/v1/care/hidden), to show it next to each item.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { get } from './api';

export interface HiddenEntry {
  resource_type: string;
  resource_id: string;
  from_professionals: boolean;
  from_representatives: boolean;
}

export function useHidden(): { byId: Map<string, HiddenEntry>; reload: () => void } {
  const [entries, setEntries] = useState<HiddenEntry[]>([]);
  const load = useCallback(() => {
    get<{ hidden: HiddenEntry[] }>('/api/v1/care/hidden').then(
      (r) => setEntries(r.hidden),
      () => setEntries([]),
    );
  }, []);
  useEffect(load, [load]);
  return { byId: new Map(entries.map((e) => [`${e.resource_type}/${e.resource_id}`, e])), reload: load };
}
