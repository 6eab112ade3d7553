/** The console: login, navigation by the URL's hash, theme, and the pages. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, onUnauthorized, storedToken, storeToken, type ConsoleSettings } from './api';
import { ModelsPage } from './pages/models';
import { Overview } from './pages/overview';
import { QueryPage } from './pages/query';
import { RelationsPage } from './pages/relations';
import { SqlPage } from './pages/sql';
import './styles.css';

const THEME_KEY = 'sluice.theme';

function initialTheme(): 'dark' | 'light' {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'dark' || saved === 'light') return saved;
  return window.matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

function useHash(): string[] {
  const parse = (): string[] => (location.hash.replace(/^#\/?/, '') || 'overview').split('/').map(decodeURIComponent);
  const [parts, setParts] = useState(parse);
  useEffect(() => {
    const on = (): void => setParts(parse());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return parts;
}

function Login({ onToken, failed }: { onToken: (t: string) => void; failed: boolean }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="login"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim()) onToken(value.trim());
      }}
    >
      <h1>Sluice</h1>
      <p>This server needs its bearer token. It is kept in this tab's session storage only.</p>
      {failed ? <div class="error">that token was not accepted</div> : null}
      <input type="password" name="token" autocomplete="current-password" aria-label="token" placeholder="token" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      <button type="submit" class="primary">
        Sign in
      </button>
    </form>
  );
}

const PAGES = [
  ['overview', 'Overview'],
  ['models', 'Models'],
  ['sql', 'SQL'],
  ['relations', 'Streams & tables'],
] as const;

function App() {
  const [theme, setTheme] = useState(initialTheme);
  const [settings, setSettings] = useState<ConsoleSettings | undefined>(undefined);
  const [auth, setAuth] = useState<'checking' | 'needed' | 'refused' | 'ok'>('checking');
  const [error, setError] = useState<Error | undefined>(undefined);
  const [page, ...rest] = useHash();

  useEffect(() => {
    document.documentElement.dataset['theme'] = theme;
    localStorage.setItem(THEME_KEY, theme);
  }, [theme]);

  const check = (): void => {
    const sent = storedToken();
    api.get<ConsoleSettings>('/v1/console').then(
      (s) => {
        setSettings(s);
        setAuth('ok');
        setError(undefined);
      },
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 401) setAuth(sent ? 'refused' : 'needed');
        else setError(err as Error);
      },
    );
  };
  useEffect(check, []);
  useEffect(
    () =>
      onUnauthorized(() => {
        storeToken(null);
        setAuth('needed');
      }),
    [],
  );

  if (auth === 'needed' || auth === 'refused') {
    return (
      <Login
        failed={auth === 'refused'}
        onToken={(t) => {
          storeToken(t);
          check();
        }}
      />
    );
  }
  if (!settings) return <main class="loading">{error ? `cannot reach the server: ${error.message}` : 'connecting…'}</main>;
  const readOnly = settings.mode === 'read-only';
  const section = page === 'queries' ? 'overview' : page;
  return (
    <>
      <header>
        <a class="brand" href="#/overview">
          Sluice
        </a>
        <nav>
          {PAGES.map(([id, label]) => (
            <a key={id} href={`#/${id}`} class={section === id ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <span class="spacer" />
        {readOnly ? <span class="badge">read-only</span> : null}
        <button type="button" class="theme" aria-label="switch theme" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}>
          {theme === 'dark' ? 'Light theme' : 'Dark theme'}
        </button>
        {storedToken() ? (
          <button
            type="button"
            onClick={() => {
              storeToken(null);
              setAuth('needed');
            }}
          >
            Sign out
          </button>
        ) : null}
      </header>
      <main>
        {page === 'queries' && rest[0] ? <QueryPage id={rest[0]} readOnly={readOnly} /> : null}
        {page === 'models' ? <ModelsPage name={rest[0]} readOnly={readOnly} /> : null}
        {page === 'sql' ? <SqlPage readOnly={readOnly} /> : null}
        {page === 'relations' ? <RelationsPage name={rest[0]} /> : null}
        {page === 'overview' || (page === 'queries' && !rest[0]) ? <Overview /> : null}
        {!['overview', 'queries', 'models', 'sql', 'relations'].includes(page ?? '') ? <p>no page '{page}': pick one above</p> : null}
      </main>
    </>
  );
}

// Before the first paint, so a light-theme user sees no flash of the dark one.
document.documentElement.dataset['theme'] = initialTheme();
render(<App />, document.getElementById('app')!);
