// Checks made in the browser before sending, so that a typing mistake is shown next to its
// field at once (the server checks everything again), and the server's refusals of a
// password in the person's words.
import { t } from '../messages';
import { compactCode, compactNir, nirProblem, parseFrenchDate } from './format';

// Errors by field for a social security number, a birth date and, when given, a letter's code.
export function identityErrors(fields: { nir: string; birth: string; code?: string }): Record<string, string> {
  const e: Record<string, string> = {};
  const problem = nirProblem(fields.nir);
  if (problem === 'length') e.nir = t('nirLength').replace('{n}', String(compactNir(fields.nir).length));
  else if (problem === 'characters') e.nir = t('nirCharacters');
  else if (problem === 'key') e.nir = t('nirKey');
  if (!parseFrenchDate(fields.birth)) e.birth = t('birthDateInvalid');
  if (fields.code !== undefined) {
    const c = compactCode(fields.code);
    if (c.length !== 12) e.code = t('codeLength').replace('{n}', String(c.length));
  }
  return e;
}

// The password policy's refusal (identity/password_policy.cpp) in French.
export function passwordMessage(detail: string): string {
  if (/at least/.test(detail)) return t('passwordTooShort');
  if (/at most/.test(detail)) return t('passwordTooLong');
  if (/too common/.test(detail)) return t('passwordCommon');
  if (/too simple/.test(detail)) return t('passwordSimple');
  if (/login or your name/.test(detail)) return t('passwordPersonal');
  return t('passwordRules');
}
