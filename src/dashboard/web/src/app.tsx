import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { useAnnouncement } from './lib/announce.js';
import { api, asProblem, call, onUnauthorized, type Problem } from './lib/api.js';
import { href, useRoute, type Route } from './lib/router.js';
import { forgetKey, keyPrefix, readKey, storeKey, type Identity } from './lib/session.js';
import { ImportDetailPage } from './pages/import-detail-page.js';
import { ImportsPage } from './pages/imports-page.js';
import { KeysPage } from './pages/keys-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { StoragePage } from './pages/storage-page.js';

const TITLES: Record<Route['page'], string> = {
  imports: 'Imports',
  import: 'Import',
  storage: 'Storage',
  keys: 'API keys',
};

/** Checks a key against the API and learns what it may do: GET /v1/keys, then GET /v1/users (admin only). */
export async function identify(key: string): Promise<Identity> {
  const prefix = keyPrefix(key);
  const keys = await call(api.GET('/v1/keys'));
  const own = keys.items.find((k) => k.prefix === prefix && k.revokedAt === null);
  const users = await api.GET('/v1/users');
  const isAdmin = users.response.ok;
  const user = users.data?.items.find((u) => u.id === own?.userId);
  return { keyId: own?.id, keyName: own?.name, userId: own?.userId, userName: user?.name, isAdmin };
}

export function App() {
  const route = useRoute();
  const [identity, setIdentity] = useState<Identity | undefined>(undefined);
  const [checking, setChecking] = useState(() => readKey() !== undefined);
  const [signedOutBecause, setSignedOutBecause] = useState<Problem | undefined>(undefined);
  const announcement = useAnnouncement();

  const signOut = useCallback((problem?: Problem) => {
    forgetKey();
    setIdentity(undefined);
    setSignedOutBecause(problem);
  }, []);

  useEffect(() => {
    onUnauthorized((problem) => signOut(problem));
    // A reload keeps the session: check the stored key once.
    const key = readKey();
    if (key === undefined) return;
    identify(key)
      .then(setIdentity)
      .catch((error: unknown) => signOut(asProblem(error)))
      .finally(() => setChecking(false));
  }, [signOut]);

  const signIn = async (key: string): Promise<void> => {
    storeKey(key);
    try {
      setIdentity(await identify(key));
      setSignedOutBecause(undefined);
    } catch (error) {
      forgetKey();
      throw asProblem(error);
    }
  };

  // Each page change moves the focus to the new page's heading and names the page in the title,
  // so keyboard and screen-reader users land at the start of the new content.
  const heading = useRef<HTMLHeadingElement>(null);
  const firstRender = useRef(true);
  const routeKey = route.page === 'import' ? `import:${route.id}` : route.page;
  useEffect(() => {
    document.title = identity === undefined ? 'Sign in · bucketload' : `${TITLES[route.page]} · bucketload`;
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    heading.current?.focus();
  }, [routeKey, identity === undefined]);

  const live = (
    <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
      {announcement}
    </div>
  );

  if (identity === undefined) {
    return (
      <>
        {checking ? (
          <main class="signin" id="main">
            <p role="status">Checking your session…</p>
          </main>
        ) : (
          <SignInPage onSignIn={signIn} reason={signedOutBecause} headingRef={heading} />
        )}
        {live}
      </>
    );
  }

  const nav: Array<{ page: Route['page']; label: string; to: Route }> = [
    { page: 'imports', label: 'Imports', to: { page: 'imports' } },
    { page: 'storage', label: 'Storage', to: { page: 'storage' } },
    { page: 'keys', label: 'API keys', to: { page: 'keys' } },
  ];
  const current = route.page === 'import' ? 'imports' : route.page;
  return (
    <>
      <a
        class="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          heading.current?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href={href({ page: 'imports' })}>
          <img src="/favicon.svg" alt="" width={24} height={24} /> bucketload
        </a>
        <nav aria-label="Main">
          <ul>
            {nav.map((entry) => (
              <li key={entry.page}>
                <a href={href(entry.to)} aria-current={current === entry.page ? 'page' : undefined}>
                  {entry.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            {identity.userName ?? (identity.keyName == null ? 'Signed in' : `Key “${identity.keyName}”`)}
            {identity.isAdmin && <span class="badge admin">admin</span>}
          </span>
          <button type="button" class="button secondary small" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" class="page">
        {route.page === 'imports' && <ImportsPage headingRef={heading} />}
        {route.page === 'import' && <ImportDetailPage id={route.id} headingRef={heading} />}
        {route.page === 'storage' && <StoragePage headingRef={heading} />}
        {route.page === 'keys' && (
          <KeysPage identity={identity} headingRef={heading} onOwnKeyRevoked={() => signOut()} />
        )}
      </main>
      {live}
    </>
  );
}
