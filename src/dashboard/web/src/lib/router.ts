import { useEffect, useState } from 'preact/hooks';

// Hash routes (#/imports, #/imports/imp_…, #/storage, #/keys): the server serves one page at `/`,
// and the key is never part of any URL.
export type Route =
  | { readonly page: 'imports' }
  | { readonly page: 'import'; readonly id: string }
  | { readonly page: 'storage' }
  | { readonly page: 'keys' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'storage') return { page: 'storage' };
  if (parts[0] === 'keys') return { page: 'keys' };
  if (parts[0] === 'imports' && parts[1] !== undefined) return { page: 'import', id: parts[1] };
  return { page: 'imports' };
}

export function href(route: Route): string {
  return route.page === 'import' ? `#/imports/${encodeURIComponent(route.id)}` : `#/${route.page}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
