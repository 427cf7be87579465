import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { SignInMethod } from './App.js';
import { devSignIn, type OidcConfig, type Session } from './auth.js';

interface Props {
  method: SignInMethod | undefined;
  notice: string | undefined;
  onSignedIn: (session: Session) => void;
}

export function SignIn({ method, notice, onSignedIn }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => heading.current?.focus(), []);

  return (
    <main className="sign-in">
      <h1 ref={heading} tabIndex={-1}>
        Status reasons
      </h1>
      <p className="lede">The admin console for your contact center’s agent status reasons.</p>
      {notice && (
        <p className="notice" role="alert">
          {notice}
        </p>
      )}
      {method === undefined && <p aria-busy="true">Loading…</p>}
      {method instanceof Error && (
        <p className="error" role="alert">
          {method.message}
        </p>
      )}
      {method && !(method instanceof Error) && method.signIn === 'dev' && <DevSignIn onSignedIn={onSignedIn} />}
      {method && !(method instanceof Error) && method.signIn === 'oidc' && <OidcSignIn config={method} />}
    </main>
  );
}

function DevSignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [account, setAccount] = useState('123');
  const [write, setWrite] = useState(true);
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState(false);
  const accountId = useId();
  const hintId = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setPending(true);
    setError(undefined);
    try {
      onSignedIn(await devSignIn(account.trim(), write));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setPending(false);
    }
  };

  return (
    <form className="card" onSubmit={submit} aria-labelledby="dev-sign-in-title">
      <h2 id="dev-sign-in-title">Dev sign-in</h2>
      <p id={hintId} className="hint">
        This local server mints a token for the account you pick, as <code>npm run token</code> does.
      </p>
      <label htmlFor={accountId}>Account id</label>
      <input id={accountId} name="account" value={account} onChange={(e) => setAccount(e.target.value)} required autoComplete="off" aria-describedby={hintId} />
      <fieldset>
        <legend>Access</legend>
        <label className="choice">
          <input type="radio" name="access" checked={write} onChange={() => setWrite(true)} /> Read and write
        </label>
        <label className="choice">
          <input type="radio" name="access" checked={!write} onChange={() => setWrite(false)} /> Read only
        </label>
      </fieldset>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={pending}>
        Sign in
      </button>
    </form>
  );
}

function OidcSignIn({ config }: { config: OidcConfig }) {
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState(false);
  const start = async () => {
    setPending(true);
    setError(undefined);
    try {
      await (await import('./oidc.js')).startSignIn(config);
    } catch (e) {
      setError(`The sign-in page could not be opened: ${e instanceof Error ? e.message : String(e)}`);
      setPending(false);
    }
  };
  return (
    <div className="card">
      <h2>Sign in</h2>
      <p className="hint">You sign in with your organization’s account; you come back here afterwards.</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="button" className="primary" onClick={() => void start()} disabled={pending}>
        Sign in
      </button>
    </div>
  );
}
