import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { devSignIn, type ConsoleConfig, type Session } from './auth.js';

interface Props {
  config: ConsoleConfig | Error | undefined;
  notice: string | undefined;
  onSignedIn: (session: Session) => void;
}

export function SignIn({ config, notice, onSignedIn }: Props) {
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
      {config === undefined && <p aria-busy="true">Loading…</p>}
      {config instanceof Error && (
        <p className="error" role="alert">
          {config.message}
        </p>
      )}
      {config && !(config instanceof Error) && config.signIn === 'dev' && <DevSignIn onSignedIn={onSignedIn} />}
      {config && !(config instanceof Error) && config.signIn !== 'dev' && (
        <p className="error" role="alert">
          This console’s configuration asks for a sign-in (“{String(config.signIn)}”) that this build does not have yet.
        </p>
      )}
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
