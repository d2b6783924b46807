// The portal's main journeys in a real browser against a real carnetd (demo data set):
// activation with an authenticator app, sign-in, a GP adding a PDF from the professional
// view, the holder previewing it, hiding it and reading the access history, the pharmacist
// no longer seeing it, an operator enrolling a file with a bad line. axe-core runs on every
// page (0 violations allowed); screenshots at 360 and 1280 px go to build/e2e.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHLOE,
  GP,
  JEAN,
  PHARMACIST,
  emailCode,
  lastNoticeId,
  newPage,
  nextTotp,
  OPERATOR,
  review,
  samplePdf,
  signIn,
  totp,
  suiteSetUp,
  waitNotice,
} from './lib.mjs';

describe('portal journeys', () => {
  const env = suiteSetUp(before, after);
  const files = mkdtempSync(join(tmpdir(), 'carnet-e2e-files-'));
  const docTitle = 'Compte rendu de consultation du 23 novembre';

  test('public pages are accessible', async () => {
    const page = await newPage(env.browser, env.server, env.problems);
    for (const [path, name] of [
      ['/', 'accueil-public'],
      ['/comprendre', 'comprendre'],
      ['/opposition', 'opposition'],
      ['/mot-de-passe-oublie', 'mot-de-passe-oublie'],
      ['/connexion', 'connexion'],
    ]) {
      await page.goto(env.server.url + path);
      await page.locator('h1').waitFor();
      await review(page, name);
    }
    await page.context().close();
  });

  test('a holder activates their space with an authenticator app in three steps', async () => {
    const letter = await waitNotice(env.server.dataDir, (n) => n.template === 'enrolment_notice' && /Chlo/i.test(n.params.first_name ?? ''), 0);
    const page = await newPage(env.browser, env.server, env.problems);
    await page.goto(env.server.url + '/');
    await page.getByRole('link', { name: 'Activer mon espace' }).first().click();
    await page.getByText('Étape 1 sur 3').waitFor();
    // Typed as people do: spaces in the number, the code in lower case with spaces.
    await page.getByLabel('Numéro de sécurité sociale').fill('2 85 01 69 567 890 44');
    await page.getByLabel('Date de naissance').fill(CHLOE.birth);
    await page.getByLabel('Code provisoire').fill(letter.params.code.toLowerCase().replace(/-/g, ' '));
    await review(page, 'activation-etape-1');
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.getByText('Étape 2 sur 3').waitFor();
    // Going back keeps what was typed.
    await page.getByRole('button', { name: 'Revenir en arrière' }).click();
    assert.equal(await page.getByLabel('Date de naissance').inputValue(), CHLOE.birth);
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.getByLabel('Adresse e-mail (votre identifiant)').fill('chloe.bernard@example.fr');
    // A too short password is refused next to the field, in French.
    await page.getByLabel('Mot de passe', { exact: true }).fill('court');
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.getByText('au moins 12 caractères').first().waitFor();
    await review(page, 'activation-etape-2-erreur');
    await page.getByLabel('Mot de passe', { exact: true }).fill('Lanterne-Verte-Colline-85');
    await page.getByLabel("Avec une application d'authentification").check();
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.getByText('Étape 3 sur 3').waitFor();
    await page.locator('.qr svg').waitFor();
    const secret = (await page.locator('code.secret').innerText()).replace(/\s/g, '');
    await review(page, 'activation-etape-3');
    await page.getByLabel('Code de vérification').fill(totp(secret));
    await page.getByRole('button', { name: 'Activer mon espace' }).click();
    await page.getByRole('heading', { name: 'Votre espace est activé' }).waitFor();
    assert.equal(await page.locator('.codes-secours li').count(), 10);
    await review(page, 'activation-terminee');
    await page.getByRole('button', { name: 'Aller à mon espace' }).click();
    await page.getByRole('heading', { name: /Bonjour/ }).waitFor();
    await page.context().close();
  });

  test('a GP finds a patient, declares the care relationship and adds a PDF', async () => {
    const pdf = join(files, 'compte-rendu.pdf');
    writeFileSync(pdf, samplePdf());
    const page = await newPage(env.browser, env.server, env.problems);
    await signIn(page, env.server, GP, (after) => emailCode(env.server, GP.login, after));
    await page.getByRole('heading', { name: 'Trouver un patient' }).waitFor();
    await review(page, 'pro-recherche');
    await page.getByLabel('Numéro de sécurité sociale (INS) du patient').fill(JEAN.nir);
    await page.getByLabel('Date de naissance').fill(JEAN.birth);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.getByRole('button', { name: 'Je fais partie de son équipe de soins' }).waitFor();
    await review(page, 'pro-patient-sans-acces');
    await page.getByRole('button', { name: 'Je fais partie de son équipe de soins' }).click();
    await page.getByRole('heading', { name: 'Ajouter un document au dossier' }).waitFor();
    await page.getByLabel('Fichier').setInputFiles(pdf);
    await page.getByLabel('Titre du document').fill(docTitle);
    // A report: a type the pharmacist's profession may see too (the list comes from the server).
    const types = await page.getByLabel('Type de document').locator('option').allInnerTexts();
    const report = types.find((o) => /^compte rendu/i.test(o));
    assert.ok(report, `a report type among ${types.join(', ')}`);
    await page.getByLabel('Type de document').selectOption({ label: report });
    await page.getByRole('button', { name: 'Déposer le document' }).click();
    await page.getByText(`« ${docTitle} » a été déposé`).waitFor();
    await page.getByText(docTitle, { exact: true }).waitFor();
    // A profile item, seen at once in the patient's medical profile (IPS summary).
    await page.getByLabel('Rubrique').selectOption({ label: 'Allergies' });
    await page.getByLabel('Description').fill('Pénicilline');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await page.getByText('« Pénicilline » a été ajouté.').waitFor();
    await page.getByRole('heading', { name: 'Profil médical', exact: true }).waitFor();
    await page.locator('.bloc li', { hasText: 'Pénicilline' }).waitFor();
    await review(page, 'pro-patient-document-ajoute');
    await page.context().close();
  });

  test('the pharmacist in the care team sees the document', async () => {
    const page = await newPage(env.browser, env.server, env.problems);
    await signIn(page, env.server, PHARMACIST, (after) => emailCode(env.server, PHARMACIST.login, after));
    // The INS read by a hand-held 2D reader: it types the Datamatrix's text, then Enter.
    const reader = page.getByLabel('Lire le code INS (Datamatrix)');
    await reader.fill('https://exemple.fr/ticket/12345');
    await reader.press('Enter');
    await page.getByText('Ce code ne contient pas de numéro de sécurité sociale valide.').waitFor();
    await reader.fill(`IS01S1${JEAN.nir.slice(0, 13)}42S2${JEAN.birth.replace(/\//g, '')}`);
    await reader.press('Enter');
    await page.getByText('Ce code ne contient pas de numéro de sécurité sociale valide.').waitFor();
    assert.equal(await page.getByLabel('Numéro de sécurité sociale (INS) du patient').inputValue(), '');
    await reader.fill(`IS01\u001dS1${JEAN.nir}\u001dS2${JEAN.birth.replace(/\//g, '')}\u001dDUPONT`);
    await reader.press('Enter');
    await page.getByText('Numéro et date de naissance lus.').waitFor();
    assert.equal(await page.getByLabel('Numéro de sécurité sociale (INS) du patient').inputValue(), JEAN.nir);
    assert.equal(await page.getByLabel('Date de naissance').inputValue(), JEAN.birth);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'chercher');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Je fais partie de son équipe de soins' }).click();
    await page.getByText(docTitle, { exact: true }).waitFor();
    await page.context().close();
  });

  test('the holder signs in, previews the PDF, hides it and reads the access history', async () => {
    const page = await newPage(env.browser, env.server, env.problems);
    await signIn(page, env.server, JEAN, (after) => emailCode(env.server, JEAN.login, after));
    await page.getByRole('heading', { name: /Bonjour/ }).waitFor();
    await page.getByRole('link', { name: docTitle }).first().waitFor();
    await review(page, 'titulaire-accueil');
    await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Documents' }).click();
    await page.getByRole('heading', { name: 'Mes documents' }).waitFor();
    await page.getByRole('link', { name: docTitle }).waitFor();
    await review(page, 'titulaire-documents');
    await page.getByRole('link', { name: docTitle }).click();
    // The PDF is drawn in the page (pdf.js), page 1 of 1.
    await page.locator('[data-testid="apercu"] canvas').first().waitFor();
    await page.getByText('Document d’une page.').waitFor();
    const painted = await page.locator('[data-testid="apercu"] canvas').first().evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let dark = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 128 && d[i + 3] > 0) dark++;
      return dark;
    });
    assert.ok(painted > 100, `the PDF's text is drawn (${painted} dark pixels)`);
    await review(page, 'titulaire-document-apercu');
    // Hiding sits next to the document.
    await page.getByRole('button', { name: `Masquer aux professionnels — ${docTitle}` }).click();
    await page.getByText(`« ${docTitle} » est maintenant masqué aux professionnels.`).waitFor();
    await page.getByText('Masqué aux professionnels').first().waitFor();
    await review(page, 'titulaire-document-masque');
    await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Accès et confidentialité' }).click();
    await page.getByRole('heading', { name: 'Historique des accès' }).waitFor();
    const history = page.locator('.historique');
    await history.getByText(/Claire MARTIN.*a ajouté un document/).first().waitFor();
    await history.getByText(/Claire MARTIN.*s'est déclaré dans votre équipe de soins/).first().waitFor();
    await history.getByText(/Marc DUBOIS/).first().waitFor();
    await review(page, 'titulaire-acces');
    await page.context().close();
  });

  test('the pharmacist no longer sees the hidden document', async () => {
    const page = await newPage(env.browser, env.server, env.problems);
    await signIn(page, env.server, PHARMACIST, (after) => emailCode(env.server, PHARMACIST.login, after));
    await page.getByLabel('Numéro de sécurité sociale (INS) du patient').fill(JEAN.nir);
    await page.getByLabel('Date de naissance').fill(JEAN.birth);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.getByRole('heading', { name: 'Documents', exact: true }).waitFor();
    await page.getByText('Aucun document visible pour vous dans cet espace.').waitFor();
    assert.equal(await page.getByText(docTitle, { exact: true }).count(), 0);
    await page.context().close();
  });

  test('an operator enrols a file with a bad line and reads the report', async () => {
    const operator = OPERATOR;
    const csv = join(files, 'beneficiaires.csv');
    const nir = (body) => body + String(97 - Number(BigInt(body) % 97n)).padStart(2, '0');
    const wrongKey = (body) => body + String((97 - Number(BigInt(body) % 97n) + 1) % 97).padStart(2, '0');
    writeFileSync(
      csv,
      [
        'nir,birth_name,first_names,birth_date,sex,birthplace,email',
        `${nir('1870375123456')},PETIT,Paul,1987-03-12,M,75056,paul.petit@example.fr`,
        `${wrongKey('1870375123457')},GRAND,Luc,1987-03-12,M,75056,luc.grand@example.fr`,
        `${nir('2861175123456')},ROUX,Anne,1986-11-02,F,75056,anne.roux@example.fr`,
      ].join('\n') + '\n',
    );
    const page = await newPage(env.browser, env.server, env.problems);
    await signIn(page, env.server, operator, await nextTotp(operator));
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    await review(page, 'operateur-tableau');
    await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Inscriptions' }).click();
    await page.getByLabel('Fichier de bénéficiaires (CSV)').setInputFiles(csv);
    const before = lastNoticeId(env.server.dataDir);
    await page.getByRole('button', { name: 'Inscrire' }).click();
    await page.getByRole('heading', { name: "Rapport d'inscription" }).waitFor();
    await page.getByText('3 lignes lues : 2 espaces créés').waitFor();
    const rows = page.locator('.rapport tbody tr');
    assert.equal(await rows.count(), 1, 'one bad line reported');
    assert.equal(await rows.first().locator('td').first().innerText(), '3');
    await review(page, 'operateur-inscriptions-rapport');
    await waitNotice(env.server.dataDir, (n) => n.template === 'enrolment_notice' && n.to === 'paul.petit@example.fr', before);
    await page.context().close();
  });
});
