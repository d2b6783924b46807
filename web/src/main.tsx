// The portal: one page of HTML, pages chosen from the address. Public pages and the holder's
// space are in the first download; professionals' and operators' pages, and the PDF
// renderer, come as separate files when first needed.
import { render } from 'preact';
import { lazy, Suspense } from 'preact/compat';
import type { ComponentType } from 'preact';
import { Loading } from './components';
import { t } from './messages';
import { match, navigate, useLocation } from './lib/router';
import { homeOf, refresh, signOut, useSession, type Me } from './lib/session';
import { Welcome } from './pages/welcome';
import { SignIn } from './pages/sign-in';
import { Activation } from './pages/activation';
import { Opposition } from './pages/opposition';
import { Understand } from './pages/understand';
import { ForgottenPassword } from './pages/forgotten-password';
import { HolderHome } from './pages/holder-home';
import { Documents } from './pages/documents';
import { DocumentPage } from './pages/document';
import { Access } from './pages/access';
import { Security } from './pages/security';
import { Profile } from './pages/profile';
import { Spaces } from './pages/spaces';
import { NotFound } from './pages/not-found';
import './style.css';

const ProfessionalSearch = lazy(() => import('./pages/pro').then((m) => ({ default: m.ProfessionalSearch })));
const ProfessionalPatient = lazy(() => import('./pages/pro').then((m) => ({ default: m.ProfessionalPatient })));
const OperatorHome = lazy(() => import('./pages/operator').then((m) => ({ default: m.OperatorHome })));
const OperatorEnrol = lazy(() => import('./pages/operator').then((m) => ({ default: m.OperatorEnrol })));
const OperatorDirectory = lazy(() => import('./pages/operator').then((m) => ({ default: m.OperatorDirectory })));
const OperatorMatrix = lazy(() => import('./pages/operator').then((m) => ({ default: m.OperatorMatrix })));

type Who = 'public' | 'holder' | 'professional' | 'operator' | 'any';

interface Route {
  pattern: string;
  who: Who;
  page: ComponentType<{ params: Record<string, string> }>;
}

const routes: Route[] = [
  { pattern: '/', who: 'public', page: Welcome },
  { pattern: '/connexion', who: 'public', page: SignIn },
  { pattern: '/activation', who: 'public', page: Activation },
  { pattern: '/opposition', who: 'public', page: Opposition },
  { pattern: '/comprendre', who: 'public', page: Understand },
  { pattern: '/mot-de-passe-oublie', who: 'public', page: ForgottenPassword },
  { pattern: '/espace', who: 'holder', page: HolderHome },
  { pattern: '/espace/documents', who: 'holder', page: Documents },
  { pattern: '/espace/documents/:id', who: 'holder', page: DocumentPage },
  { pattern: '/espace/profil', who: 'holder', page: Profile },
  { pattern: '/espace/acces', who: 'holder', page: Access },
  { pattern: '/espace/espaces', who: 'holder', page: Spaces },
  { pattern: '/securite', who: 'any', page: Security },
  { pattern: '/pro', who: 'professional', page: ProfessionalSearch },
  { pattern: '/pro/patient/:space', who: 'professional', page: ProfessionalPatient },
  { pattern: '/operateur', who: 'operator', page: OperatorHome },
  { pattern: '/operateur/inscriptions', who: 'operator', page: OperatorEnrol },
  { pattern: '/operateur/annuaire', who: 'operator', page: OperatorDirectory },
  { pattern: '/operateur/matrice', who: 'operator', page: OperatorMatrix },
];

function Navigation({ me, path }: { me: Me; path: string }) {
  const links: [string, string][] =
    me.kind === 'holder'
      ? [
          ['/espace', t('navHome')],
          ['/espace/documents', t('navDocuments')],
          ['/espace/profil', t('navProfile')],
          ['/espace/acces', t('navAccess')],
          ['/securite', t('navSecurity')],
        ]
      : me.kind === 'professional'
        ? [
            ['/pro', t('navFindPatient')],
            ['/securite', t('navSecurity')],
          ]
        : [
            ['/operateur', t('navOperatorHome')],
            ['/operateur/inscriptions', t('navEnrol')],
            ['/operateur/annuaire', t('navDirectory')],
            ['/operateur/matrice', t('navMatrix')],
            ['/securite', t('navSecurity')],
          ];
  return (
    <nav aria-label={t('navLabel')} class="navigation">
      <ul>
        {links.map(([href, label]) => (
          <li key={href}>
            <a href={href} aria-current={path === href || (href !== '/espace' && href !== '/pro' && href !== '/operateur' && path.startsWith(href + '/')) ? 'page' : undefined}>
              {label}
            </a>
          </li>
        ))}
        <li>
          <button type="button" class="lien" onClick={() => void signOut()}>
            {t('signOut')}
          </button>
        </li>
      </ul>
    </nav>
  );
}

function App() {
  const session = useSession();
  const { path } = useLocation();
  if (session.loading) return <Loading />;
  const me = session.me;
  let route: Route | undefined;
  let params: Record<string, string> = {};
  for (const r of routes) {
    const m = match(r.pattern, path);
    if (m) {
      route = r;
      params = m;
      break;
    }
  }
  let body;
  if (!route) {
    body = <NotFound />;
  } else if (route.who !== 'public' && !me) {
    // Not signed in (or the session ended): sign in first, then come back here.
    queueMicrotask(() => navigate('/connexion?retour=' + encodeURIComponent(path + window.location.search), { replace: true }));
    body = <Loading />;
  } else if (me && route.who !== 'public' && route.who !== 'any' && route.who !== me.kind) {
    queueMicrotask(() => navigate(homeOf(me), { replace: true }));
    body = <Loading />;
  } else if (me && route.pattern === '/') {
    queueMicrotask(() => navigate(homeOf(me), { replace: true }));
    body = <Loading />;
  } else {
    const Page = route.page;
    body = (
      <Suspense fallback={<Loading />}>
        <Page params={params} />
      </Suspense>
    );
  }
  return (
    <>
      <a class="evitement" href="#contenu">
        {t('skipToContent')}
      </a>
      <header class="bandeau">
        <div class="bandeau-interieur">
          <p class="marque">
            <a href={me ? homeOf(me) : '/'}>Carnet</a>
            <span class="sous-titre">{t('tagline')}</span>
          </p>
          {me && <Navigation me={me} path={path} />}
        </div>
      </header>
      <main id="contenu" tabIndex={-1}>
        {body}
      </main>
      <footer class="pied">
        <ul>
          <li>
            <a href="/comprendre">{t('footerUnderstand')}</a>
          </li>
          <li>{t('footer')}</li>
        </ul>
      </footer>
    </>
  );
}

void refresh();
render(<App />, document.getElementById('app')!);
