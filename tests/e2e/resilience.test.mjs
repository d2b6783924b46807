// The portal with a keyboard only, when a session ends under the person's feet, and the
// medical profile: signing in and moving around without a mouse (skip link first, a visible
// focus ring); a session revoked from another device bringing the person back to sign-in,
// then to the page they were on; a holder filling in measurements (chart and table), the
// organ-donation choice and a person to contact.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { JEAN, api, emailCode, lastNoticeId, newPage, review, signIn, suiteSetUp, totp, waitNotice } from './lib.mjs';

const SOPHIE = { login: 'sophie.martin@demo.carnet', password: 'Piano-Bleu-Riviere-26' };

describe('keyboard, session expiry, profile, children and forgotten password', () => {
  const env = suiteSetUp(before, after);

  test('a holder signs in and reaches a document with the keyboard only', async () => {
    const page = await newPage(env.browser, env.server, env.problems);
    await page.goto(env.server.url + '/connexion');
    await page.locator('h1').waitFor();
    // The first Tab reaches the skip link, with a visible focus ring.
    await page.keyboard.press('Tab');
    const first = await page.evaluate(() => {
      const el = document.activeElement;
      const style = el ? getComputedStyle(el) : null;
      return { text: el?.textContent, top: el?.getBoundingClientRect().top ?? -1, outline: style?.outlineStyle };
    });
    assert.equal(first.text, 'Aller au contenu');
    assert.ok(first.top >= 0, 'the skip link shows when focused');
    assert.notEqual(first.outline, 'none');
    await page.keyboard.press('Enter');
    // Tab to the e-mail field (past the header's home link), type, Tab to the password.
    for (let i = 0; i < 10 && (await page.evaluate(() => document.activeElement?.id)) !== 'login'; i++) await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'login');
    await page.keyboard.type(JEAN.login);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'password');
    await page.keyboard.type(JEAN.password);
    const before = lastNoticeId(env.server.dataDir);
    await page.keyboard.press('Enter');
    await page.getByLabel('Code de vérification').waitFor();
    await page.getByLabel('Code de vérification').focus();
    await page.keyboard.type(await emailCode(env.server, JEAN.login, before));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /Bonjour/ }).waitFor();
    // The page's heading has the focus after a page change (screen readers start there).
    await page.keyboard.press('Tab');
    for (let i = 0; i < 12 && (await page.evaluate(() => document.activeElement?.textContent)) !== 'Documents'; i++) await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Documents');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Mes documents' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1');
    await page.context().close();
  });

  test('a session ended elsewhere leads back to sign-in, then to the page the person was on', async () => {
    const page = await newPage(env.browser, env.server, env.problems);
    await page.goto(env.server.url + '/connexion');
    await page.getByLabel('Adresse e-mail').fill(JEAN.login);
    await page.getByLabel('Mot de passe').fill(JEAN.password);
    let mark = lastNoticeId(env.server.dataDir);
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.getByLabel('Code de vérification').fill(await emailCode(env.server, JEAN.login, mark));
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { name: /Bonjour/ }).waitFor();
    await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Profil médical' }).click();
    await page.getByRole('heading', { name: 'Mon profil médical' }).waitFor();
    const sessionId = await page.evaluate(async () => (await (await fetch('/api/v1/me')).json()).session_id);

    // From another device: Jean signs in with a bearer session and ends the browser's.
    mark = lastNoticeId(env.server.dataDir);
    const step1 = await api(env.server, 'POST', '/api/v1/sign-in', { login: JEAN.login, password: JEAN.password });
    assert.equal(step1.status, 200);
    const code = (await waitNotice(env.server.dataDir, (n) => n.template === 'one_time_code' && n.to === JEAN.login, mark)).params.code;
    const other = await api(env.server, 'POST', '/api/v1/sign-in/verify', { challenge_id: step1.body.challenge_id, code, session: 'bearer' });
    assert.equal(other.status, 200);
    const ended = await api(env.server, 'DELETE', `/api/v1/sessions/${sessionId}`, undefined, { Authorization: `Bearer ${other.body.access_token}` });
    assert.equal(ended.status, 204);

    // The next request answers 401: sign-in, saying why, then back to the access page.
    await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Accès et confidentialité' }).click();
    await page.getByText('Votre session a expiré').waitFor();
    assert.match(page.url(), /\/connexion\?retour=%2Fespace%2Facces/);
    await review(page, 'session-expiree');
    await page.getByLabel('Adresse e-mail').fill(JEAN.login);
    await page.getByLabel('Mot de passe').fill(JEAN.password);
    mark = lastNoticeId(env.server.dataDir);
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.getByLabel('Code de vérification').fill(await emailCode(env.server, JEAN.login, mark));
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { name: 'Accès et confidentialité' }).waitFor();
    assert.match(page.url(), /\/espace\/acces$/);
    await page.context().close();
  });

  test('a holder fills in the medical profile: measurements with a chart, organ donation, a person to contact', async () => {
    const page = await newPage(env.browser, env.server, env.problems);
    await signIn(page, env.server, SOPHIE, (after) => emailCode(env.server, SOPHIE.login, after));
    await page.getByRole('heading', { name: /Bonjour/ }).waitFor();
    await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Profil médical' }).click();
    await page.getByRole('heading', { name: 'Mon profil médical' }).waitFor();
    for (const [value, date] of [['64,5', '01/09/2026'], ['63', '01/10/2026'], ['62,2', '15/11/2026']]) {
      await page.getByLabel('Valeur (kg)').fill(value);
      await page.getByLabel('Date (facultative)', { exact: true }).last().fill(date);
      await page.getByRole('button', { name: 'Enregistrer la mesure' }).click();
      await page.getByText('La mesure a été enregistrée.').waitFor();
    }
    await page.getByText('dernière valeur : 62,2 kg le 15 novembre 2026').waitFor();
    assert.equal(await page.locator('svg.courbe circle').count(), 3);
    // An implausible value is refused next to the field, in the server's French words.
    await page.getByLabel('Valeur (kg)').fill('-5');
    await page.getByRole('button', { name: 'Enregistrer la mesure' }).click();
    await page.locator('#mesure-valeur-erreur').waitFor();
    await page.getByLabel('Je refuse').check();
    await page.locator('#don-titre').locator('..').getByRole('button', { name: 'Enregistrer' }).click();
    await page.getByText('Votre choix est enregistré.').waitFor();
    await page.getByLabel('Nom et prénom').fill('Paul Martin');
    await page.getByLabel('Lien avec vous (facultatif)').fill('conjoint');
    await page.getByLabel('Téléphone').fill('06 98 76 54 32');
    await page.getByRole('button', { name: 'Ajouter cette personne' }).click();
    await page.getByText('Paul Martin (conjoint) — 0698765432').waitFor();
    await review(page, 'titulaire-profil');
    // Read back after a reload: the choice and the contact were stored.
    await page.reload();
    await page.getByText('Paul Martin (conjoint) — 0698765432').waitFor();
    assert.equal(await page.getByLabel('Je refuse').isChecked(), true);
    await page.context().close();
  });

  test('a parent switches to their child\'s space and back', async () => {
    const page = await newPage(env.browser, env.server, env.problems);
    await signIn(page, env.server, JEAN, (after) => emailCode(env.server, JEAN.login, after));
    await page.getByRole('heading', { name: /Bonjour/ }).waitFor();
    await page.getByRole('button', { name: "Passer à l'espace de Lea" }).click();
    await page.getByText("Vous consultez l'espace de Lea.").waitFor();
    await review(page, 'titulaire-espace-enfant');
    // (The first name as enrolled: capitals without accents, shown as "Lea".) Back to Jean's own.
    await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Accueil' }).click();
    await page.getByRole('button', { name: 'Revenir à mon espace' }).click();
    await page.getByRole('button', { name: "Passer à l'espace de Lea" }).waitFor();
    await page.context().close();
  });

  test('a forgotten password is reset with the e-mailed code, then the second factor is asked', async () => {
    const page = await newPage(env.browser, env.server, env.problems);
    await page.goto(env.server.url + '/connexion');
    await page.getByRole('link', { name: "J'ai oublié mon mot de passe" }).click();
    await page.getByText('Étape 1 sur 2').waitFor();
    await page.getByLabel('Adresse e-mail').fill(SOPHIE.login);
    const mark = lastNoticeId(env.server.dataDir);
    await page.getByRole('button', { name: 'Recevoir un code' }).click();
    await page.getByText('Étape 2 sur 2').waitFor();
    const mail = await waitNotice(env.server.dataDir, (n) => n.template === 'password_reset' && n.to === SOPHIE.login, mark);
    await page.getByLabel('Code reçu par e-mail').fill(mail.params.code.toLowerCase());
    await page.getByLabel('Nouveau mot de passe').fill('court');
    await page.getByRole('button', { name: 'Enregistrer le nouveau mot de passe' }).click();
    await page.getByText('au moins 12 caractères').first().waitFor();
    await review(page, 'mot-de-passe-oublie-etape-2');
    await page.getByLabel('Nouveau mot de passe').fill('Violon-Gris-Estuaire-27');
    await page.getByRole('button', { name: 'Enregistrer le nouveau mot de passe' }).click();
    await page.getByText('Votre mot de passe a été changé.').waitFor();
    SOPHIE.password = 'Violon-Gris-Estuaire-27';
    await signIn(page, env.server, SOPHIE, (after) => emailCode(env.server, SOPHIE.login, after));
    await page.getByRole('heading', { name: /Bonjour/ }).waitFor();
    await page.context().close();
  });

  test('a holder moves to an authenticator app (proven by its first code) and renews recovery codes', async () => {
    const page = await newPage(env.browser, env.server, env.problems);
    await signIn(page, env.server, SOPHIE, (after) => emailCode(env.server, SOPHIE.login, after));
    await page.getByRole('heading', { name: /Bonjour/ }).waitFor();
    await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Sécurité du compte' }).click();
    await page.getByText('Vous confirmez aujourd’hui votre identité avec un code reçu par e-mail.').waitFor();
    await page.getByText('Il vous reste 10 codes de secours.').waitFor();
    await page.getByRole('button', { name: 'Changer de second facteur' }).click();
    await page.getByLabel("Avec une application d'authentification (recommandé)").check();
    await page.getByLabel('Votre mot de passe, pour confirmer que c’est vous').fill('pas le bon');
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.getByText("Le mot de passe actuel n'est pas le bon.").waitFor();
    await page.getByLabel('Votre mot de passe, pour confirmer que c’est vous').fill(SOPHIE.password);
    await page.getByRole('button', { name: 'Continuer' }).click();
    const secret = (await page.locator('code.secret').textContent()).replace(/\s/g, '');
    await page.getByLabel('Code de vérification').fill('000000');
    await page.getByRole('button', { name: 'Utiliser ce second facteur' }).click();
    await page.getByText("Ce code n'est pas le bon.").first().waitFor();
    await review(page, 'securite-nouveau-facteur');
    const account = { secret, lastStep: 0 };
    const step = Math.floor(Date.now() / 30000);
    account.lastStep = step;
    await page.getByLabel('Code de vérification').fill(totp(secret, step * 30000));
    await page.getByRole('button', { name: 'Utiliser ce second facteur' }).click();
    await page.getByText('Votre second facteur a été changé.').waitFor();
    assert.equal(await page.locator('ul.codes-secours li').count(), 10);
    await page.getByText('Vous confirmez aujourd’hui votre identité avec une application d’authentification.').waitFor();
    await review(page, 'securite-codes-de-secours');
    const codes = await page.locator('ul.codes-secours code').allTextContents();
    // New recovery codes: the password again; the previous ones stop working.
    await page.getByRole('button', { name: 'Créer de nouveaux codes de secours' }).click();
    await page.getByLabel('Votre mot de passe, pour confirmer que c’est vous').fill(SOPHIE.password);
    await page.getByRole('button', { name: 'Créer les nouveaux codes' }).click();
    await page.getByText('Voici vos nouveaux codes de secours. Les anciens ne fonctionnent plus.').waitFor();
    const fresh = await page.locator('ul.codes-secours code').allTextContents();
    assert.equal(fresh.length, 10);
    assert.ok(!fresh.includes(codes[0]));
    await page.getByRole('button', { name: 'Se déconnecter' }).first().click();
    // The next sign-in asks the app's code; an old recovery code is refused, a new one works.
    await signIn(page, env.server, SOPHIE, codes[0]);
    await page.getByText("Ce code n'est pas le bon.").first().waitFor();
    await page.getByLabel('Code de vérification').fill(fresh[0]);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { name: /Bonjour/ }).waitFor();
    await page.context().close();
  });
});
