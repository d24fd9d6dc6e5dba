// The login helper: the analyst logs in once (the `login` mutation, user name and token); the
// JWT it returns is sent as `Authorization: Bearer …` with every following request (HTTP and
// WebSocket) until the analyst logs out (peba judges expiry on its own clock and answers an
// expired token with an error). Kept in this browser tab's session storage.
import React, { useState, useSyncExternalStore } from 'react';

const SESSION_KEY = 'peba:login';
const LOGIN = `mutation Login($username: String!, $token: String!) {
  login(username: $username, token: $token) { token expiresAt }
}`;

const listeners = new Set();

function read() {
  try {
    return JSON.parse(window.sessionStorage.getItem(SESSION_KEY) ?? 'null');
  } catch {
    return null;
  }
}

let current = read();

function publish(session) {
  current = session;
  if (session) window.sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else window.sessionStorage.removeItem(SESSION_KEY);
  listeners.forEach((listener) => listener());
}

function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The `Authorization` header of the current login, if any. */
export function authorizationHeaders() {
  return current ? { Authorization: `Bearer ${current.token}` } : {};
}

/** Logs in at `endpoint`; resolves to an error message, or `null` on success. */
async function logIn(endpoint, username, token) {
  let answer;
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: LOGIN, operationName: 'Login', variables: { username, token } }),
    });
    answer = await response.json();
  } catch (error) {
    return `login failed: ${error.message}`;
  }
  const login = answer?.data?.login;
  if (!login) return answer?.errors?.[0]?.message ?? 'login failed';
  publish({ username, token: login.token, expiresAt: login.expiresAt });
  return null;
}

function useSession() {
  return useSyncExternalStore(subscribe, () => current);
}

function LoginForm({ endpoint }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(await logIn(endpoint, String(form.get('username')), String(form.get('token'))));
    setBusy(false);
  };
  return (
    <form className="peba-login-form" onSubmit={submit}>
      <p>
        Log in with a user of this peba (<code>peba user add</code>): the token you get is sent
        with every following request.
      </p>
      <label>
        User
        <input name="username" autoComplete="username" required />
      </label>
      <label>
        Token
        <input name="token" type="password" autoComplete="current-password" required />
      </label>
      <button type="submit" className="graphiql-button" disabled={busy}>
        Log in
      </button>
      {error && (
        <p className="peba-login-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function LoginPanel({ endpoint }) {
  const session = useSession();
  return (
    <div className="peba-login">
      <div className="graphiql-doc-explorer-title">Login</div>
      {session ? (
        <div className="peba-login-session">
          <p>
            Logged in as <strong className="peba-login-user">{session.username}</strong> until{' '}
            {session.expiresAt}. Every request carries the header
          </p>
          <code className="peba-login-header">Authorization: Bearer {session.token}</code>
          <button type="button" className="graphiql-button" onClick={() => publish(null)}>
            Log out
          </button>
        </div>
      ) : (
        <LoginForm endpoint={endpoint} />
      )}
    </div>
  );
}

function LoginIcon() {
  const session = useSession();
  return (
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <circle cx="8" cy="12" r="4" fill={session ? 'currentColor' : 'none'} />
      <path d="M12 12h10M18 12v4M21 12v3" />
    </svg>
  );
}

/** The login status shown in the toolbar's logo slot. */
export function LoginStatus() {
  const session = useSession();
  return (
    <span className="peba-login-status">
      peba{session ? ` · logged in as ${session.username}` : ''}
    </span>
  );
}

/** The GraphiQL plugin (side bar "Login") posting the login mutation to `endpoint`. */
export function loginPlugin(endpoint) {
  return {
    title: 'Login',
    icon: LoginIcon,
    content: () => <LoginPanel endpoint={endpoint} />,
  };
}
