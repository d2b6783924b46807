// Dates, sizes and identifiers as French readers expect them.

const dateFormat = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric' });
const dateTimeFormat = new Intl.DateTimeFormat('fr-FR', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

export function frenchDate(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso.length === 10 ? iso + 'T12:00:00' : iso);
  return Number.isNaN(d.getTime()) ? iso : dateFormat.format(d);
}

export function frenchDateTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTimeFormat.format(d);
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} octets`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} Ko`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace('.', ',')} Mo`;
}

// The NIR as typed (spaces, dots, dashes allowed), upper-cased: 15 characters or fewer.
export function compactNir(typed: string): string {
  return typed.replace(/[\s.\-_]/g, '').toUpperCase();
}

// Checks a NIR before sending it, so that a typing mistake is shown next to the field at
// once (the server checks again). null when valid, otherwise what is wrong.
export function nirProblem(typed: string): 'length' | 'characters' | 'key' | null {
  const nir = compactNir(typed);
  if (nir.length !== 15) return 'length';
  if (!/^\d{5}(\d{2}|2A|2B)\d{8}$/.test(nir)) return 'characters';
  const body = nir.slice(0, 13).replace('2A', '19').replace('2B', '18');
  const key = Number(nir.slice(13));
  const rest = Number(BigInt(body) % 97n);
  return 97 - rest === key ? null : 'key';
}

// The provisional code as printed (XXXX-XXXX-XXXX) from whatever was pasted.
export function compactCode(typed: string): string {
  return typed.replace(/[\s\-_.]/g, '').toUpperCase();
}

// A birth date as people type it: 17/05/1984, 17.05.1984, 17 05 1984 or 1984-05-17. The ISO
// date, or null when it is not a real date.
export function parseFrenchDate(typed: string): string | null {
  const s = typed.trim();
  let y: number, m: number, d: number;
  let r = /^(\d{1,2})[\s/.\-](\d{1,2})[\s/.\-](\d{4})$/.exec(s);
  if (r) {
    [d, m, y] = [Number(r[1]), Number(r[2]), Number(r[3])];
  } else if ((r = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s))) {
    [y, m, d] = [Number(r[1]), Number(r[2]), Number(r[3])];
  } else if ((r = /^(\d{2})(\d{2})(\d{4})$/.exec(s))) {
    [d, m, y] = [Number(r[1]), Number(r[2]), Number(r[3])];
  } else {
    return null;
  }
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  if (y < 1890 || date.getTime() > Date.now()) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

// "JEAN-PIERRE" → "Jean-Pierre": names are kept in capitals, as the civil registry writes them.
export function properName(upper: string): string {
  return upper.toLowerCase().replace(/(^|[\s\-'])(\p{L})/gu, (_, sep: string, c: string) => sep + c.toUpperCase());
}
