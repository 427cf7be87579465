import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { Announcer } from './announcer.js';
import { isSignInCallback, loadConfig, loadSession, oidcConfigOf, saveSession, type ConsoleConfig, type OidcConfig, type Session } from './auth.js';
import { ReasonsPage } from './ReasonsPage.js';
import { SignIn } from './SignIn.js';

/** The sign-in /config.json asks for: the dev sign-in, OIDC with its settings checked, or an Error to show. */
export type SignInMethod = { signIn: 'dev' } | OidcConfig | Error;

function methodOf(config: ConsoleConfig): SignInMethod {
  if (config.signIn === 'dev') return { signIn: 'dev' };
  if (config.signIn === 'oidc') return oidcConfigOf(config as Record<string, unknown>);
  return new Error(`This console’s configuration asks for a sign-in (“${String(config.signIn)}”) that this build does not have.`);
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function App() {
  const [method, setMethod] = useState<SignInMethod>();
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [notice, setNotice] = useState<string>();
  const [queryClient] = useState(() => new QueryClient({ defaultOptions: { queries: { staleTime: 0, refetchOnWindowFocus: true } } }));

  useEffect(() => {
    let cancelled = false;
    loadConfig()
      .then(async (config) => {
        const next = methodOf(config);
        // Back from the identity provider: exchange the code before showing anything.
        if (!(next instanceof Error) && next.signIn === 'oidc' && isSignInCallback(location.search)) {
          try {
            const signedIn = await (await import('./oidc.js')).completeSignIn(next);
            if (cancelled) return;
            saveSession(signedIn);
            setSession(signedIn);
          } catch (error) {
            if (!cancelled) setNotice(`Signing in did not work: ${message(error)}`);
          }
        }
        if (!cancelled) setMethod(next);
      })
      .catch((error: unknown) => !cancelled && setMethod(new Error(message(error))));
    return () => {
      cancelled = true;
    };
  }, []);

  const signIn = (next: Session) => {
    saveSession(next);
    setNotice(undefined);
    setSession(next);
  };
  const signOut = useCallback(
    (why?: string) => {
      const via = session?.via;
      saveSession(undefined);
      queryClient.clear();
      setNotice(why);
      setSession(undefined);
      // A plain sign-out also ends the provider's session (when it says how); an expired token only sends the admin back here.
      if (via === 'oidc' && !why && method && !(method instanceof Error) && method.signIn === 'oidc') {
        void import('./oidc.js').then((oidc) => oidc.signOut(method));
      }
    },
    [session, method, queryClient],
  );

  return (
    <Announcer>
      {session ? (
        <QueryClientProvider client={queryClient}>
          <ReasonsPage session={session} onSignOut={signOut} />
        </QueryClientProvider>
      ) : (
        <SignIn method={method} notice={notice} onSignedIn={signIn} />
      )}
    </Announcer>
  );
}
