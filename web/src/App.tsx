import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Announcer } from './announcer.js';
import { loadConfig, loadSession, saveSession, type ConsoleConfig, type Session } from './auth.js';
import { ReasonsPage } from './ReasonsPage.js';
import { SignIn } from './SignIn.js';

export function App() {
  const [config, setConfig] = useState<ConsoleConfig | Error>();
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [notice, setNotice] = useState<string>();
  const [queryClient] = useState(() => new QueryClient({ defaultOptions: { queries: { staleTime: 0, refetchOnWindowFocus: true } } }));

  useEffect(() => {
    loadConfig().then(setConfig, (error: unknown) => setConfig(error instanceof Error ? error : new Error(String(error))));
  }, []);

  const signIn = (next: Session) => {
    saveSession(next);
    setNotice(undefined);
    setSession(next);
  };
  const signOut = (why?: string) => {
    saveSession(undefined);
    queryClient.clear();
    setNotice(why);
    setSession(undefined);
  };

  return (
    <Announcer>
      {session ? (
        <QueryClientProvider client={queryClient}>
          <ReasonsPage session={session} onSignOut={signOut} />
        </QueryClientProvider>
      ) : (
        <SignIn config={config} notice={notice} onSignedIn={signIn} />
      )}
    </Announcer>
  );
}
