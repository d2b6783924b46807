// The INS read by a scanner: a hand-held 2D reader (it types what it reads, then Enter) or the
// camera, from the Datamatrix printed on a patient's documents or INS card. Readers differ in
// how they render the separators between fields (group separator, spaces, nothing at all), so
// the text is searched rather than split: the NIR is the 15 characters whose control key is
// right, the birth date a real date (DDMMYYYY or YYYYMMDD, separators or not) agreeing with the
// year and month the NIR carries when it carries them.
import { nirProblem, parseFrenchDate } from './format';

export interface InsRead {
  nir: string;
  birth: string; // DD/MM/YYYY as the form shows it; '' when the code carries no date
}

// The first digit is the sex (1, 2) or 3, 4, 7, 8 for provisional numbers.
const NIR = /^[1-478]\d{4}(?:\d{2}|2A|2B)\d{8}$/;

function datesIn(text: string): string[] {
  const found: string[] = [];
  // Separators are gone by now: DDMMYYYY or YYYYMMDD (agreement with the NIR decides).
  const patterns = [/(\d{4})(\d{2})(\d{2})/g, /(\d{2})(\d{2})(\d{4})/g];
  patterns.forEach((p, n) => {
    for (let i = 0; i < text.length; i++) {
      p.lastIndex = i;  // every position: "S2" + DDMMYYYY glued to other digits
      const m = p.exec(text);
      if (!m || m.index !== i) continue;
      const iso = parseFrenchDate(n === 0 ? `${m[1]}-${m[2]}-${m[3]}` : `${m[1]}/${m[2]}/${m[3]}`);
      if (iso && !found.includes(iso)) found.push(iso);
    }
  });
  return found;
}

// Whether a birth date agrees with the year and month a NIR carries (its month may be
// unknown: 20 and above).
function agrees(nir: string, iso: string): boolean {
  const mm = Number(nir.slice(3, 5));
  return iso.slice(2, 4) === nir.slice(1, 3) && (mm < 1 || mm > 12 || Number(iso.slice(5, 7)) === mm);
}

export function readInsScan(scanned: string): InsRead | null {
  const text = scanned.toUpperCase().replace(/[\s\u001d\u001e\u0004.\-_/]/g, '');
  let best: { nir: string; birth: string; score: number } | null = null;
  for (let i = 0; i + 15 <= text.length; i++) {
    const nir = text.slice(i, i + 15);
    if (!NIR.test(nir) || nirProblem(nir) !== null) continue;
    // The rest of the text, without the NIR (its digits could look like a date).
    const rest = text.slice(0, i) + '|' + text.slice(i + 15);
    const iso = datesIn(rest).find((d) => agrees(nir, d)) ?? '';
    const score = (iso ? 2 : 0) + (/\d/.test(text[i - 1] ?? '') ? 0 : 1) + (/\d/.test(text[i + 15] ?? '') ? 0 : 1);
    if (!best || score > best.score) {
      best = { nir, birth: iso ? `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}` : '', score };
    }
  }
  return best && { nir: best.nir, birth: best.birth };
}
