import crypto from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import type { SessionBackend } from './store.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
    visits: number;
  }
}

export interface DemoAppOptions {
  backend: SessionBackend;
  /** Signs the session cookie. Keep it stable across restarts, or every cookie becomes invalid. */
  secret: string;
  /** The one password that logs anybody in, whatever their name. */
  password: string;
  /** Shown under the login form (the demo password, when it is the default one). */
  passwordHint?: string;
  /** Idle timeout: the cookie and the key in lapse expire this long after the last request. */
  maxAgeMs: number;
}

/** The session cookie's name (not express-session's default, which names the framework). */
export const COOKIE_NAME = 'sid';

/**
 * A short, stable label for a session ID that is safe to show in a page: the ID itself
 * is the bearer credential the HttpOnly cookie keeps away from scripts.
 */
export function fingerprint(sessionId: string): string {
  return crypto.createHash('sha256').update(sessionId).digest('hex').slice(0, 8);
}

const MAX_NAME = 40;

/**
 * The demo: log in with any name and the demo password, see a visit counter that lives
 * in the session (so in lapse, never in the cookie), list the live sessions with the TTL
 * lapse reports, log out.
 */
export function createDemoApp(options: DemoAppOptions): express.Express {
  const { backend, maxAgeMs } = options;
  const cookie: session.CookieOptions = {
    httpOnly: true, // scripts cannot read the session ID
    sameSite: 'lax', // not sent on cross-site POSTs: the forms below need no CSRF token
    // Secure whenever the request came over HTTPS (behind a proxy, set 'trust proxy').
    secure: 'auto',
    path: '/',
    maxAge: maxAgeMs,
  };
  const clearOptions = { httpOnly: cookie.httpOnly, sameSite: cookie.sameSite, path: cookie.path };
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set({
      'Cache-Control': 'no-store', // pages depend on the session: never serve them from cache
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    });
    next();
  });
  // Before the session middleware: the browser's icon request must not touch the session.
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  app.use(
    session({
      store: backend.store,
      name: COOKIE_NAME,
      secret: options.secret,
      resave: false, // unchanged sessions are touched (EXPIRE), not rewritten
      saveUninitialized: false, // no key in lapse and no cookie until login
      rolling: true, // every response renews the cookie, every request the key's TTL
      cookie,
    }),
  );
  app.use(express.urlencoded({ extended: false, limit: '2kb' }));

  const signedIn = (req: Request, res: Response, next: NextFunction) => {
    if (req.session.user !== undefined) return next();
    // A cookie whose ID has no session behind it (expired, or lost by a volatile store):
    // drop it and say why the visitor has to log in again.
    if (hasSessionCookie(req)) {
      res.clearCookie(COOKIE_NAME, clearOptions);
      res.redirect(303, '/login?ended');
      return;
    }
    res.redirect(303, '/login');
  };

  app.get('/', signedIn, (req, res) => {
    req.session.visits = (req.session.visits ?? 0) + 1;
    const user = req.session.user!;
    res.send(
      page(
        'Home',
        `<h1>Signed in as <span id="user">${escape(user)}</span></h1>
<p>Visits in this session: <strong id="visits">${req.session.visits}</strong></p>
<p>Your browser holds only a session ID, in an HttpOnly cookie. The name and the counter
live in lapse, under the key <code>${escape(backend.prefix)}&lt;session ID&gt;</code>, and
expire after ${seconds(maxAgeMs)} without a request.</p>
<p>Session <code id="fingerprint">${fingerprint(req.sessionID)}</code> (a hash of its ID).
<a href="/sessions">Live sessions</a></p>
<form method="post" action="/logout"><button id="logout">Log out</button></form>`,
      ),
    );
  });

  app.get('/login', (req, res) => {
    if (req.session.user !== undefined) {
      res.redirect(303, '/');
      return;
    }
    let notice = '';
    if ('ended' in req.query) notice = 'Your session has ended: the session store no longer has it. Please log in again.';
    else if ('out' in req.query) notice = 'You are logged out.';
    res.send(loginPage({ notice, hint: options.passwordHint }));
  });

  app.post('/login', (req, res, next) => {
    const name = typeof req.body?.name === 'string' ? req.body.name.trim() : '';
    const password = typeof req.body?.password === 'string' ? req.body.password : '';
    if (name === '' || name.length > MAX_NAME || !sameSecret(password, options.password)) {
      const error = name === '' || name.length > MAX_NAME ? `Enter a name of 1 to ${MAX_NAME} characters.` : 'Wrong password.';
      res.status(401).send(loginPage({ error, hint: options.passwordHint }));
      return;
    }
    // A new session ID at login: an ID planted before login is worth nothing after it.
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.user = name;
      req.session.visits = 0;
      req.session.save((err2) => (err2 ? next(err2) : res.redirect(303, '/')));
    });
  });

  app.post('/logout', (req, res, next) => {
    // destroy() deletes the key in lapse before the response: the ID is dead at once.
    req.session.destroy((err) => {
      if (err) return next(err);
      res.clearCookie(COOKIE_NAME, clearOptions);
      res.redirect(303, '/login?out');
    });
  });

  app.get('/sessions', signedIn, async (req, res, next) => {
    try {
      const sessions = await allSessions(backend.store);
      const ttls = await backend.pttl(sessions.map((s) => backend.prefix + s.id));
      const rows = sessions
        .map((s, i) => ({ ...s, ttl: ttls[i]! }))
        .filter((s) => s.ttl !== -2) // expired between SCAN and PTTL
        .sort((a, b) => b.ttl - a.ttl)
        .map(
          (s) =>
            `<tr${s.id === req.sessionID ? ' class="mine"' : ''}><td><code>${fingerprint(s.id)}</code>${s.id === req.sessionID ? ' (this browser)' : ''}</td>` +
            `<td>${escape(s.user ?? '')}</td><td>${s.visits ?? 0}</td><td class="ttl">${s.ttl < 0 ? 'no TTL' : (s.ttl / 1000).toFixed(1) + ' s'}</td></tr>`,
        );
      res.send(
        page(
          'Live sessions',
          `<h1>Live sessions</h1>
<p><span id="count">${rows.length}</span> session(s) in lapse (SCAN over <code>${escape(backend.prefix)}*</code>;
the TTL is lapse's PTTL, reset by every request).</p>
<table><thead><tr><th>session</th><th>user</th><th>visits</th><th>TTL</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
<p><a href="/">Back</a></p>`,
        ),
      );
    } catch (err) {
      next(err);
    }
  });

  app.use((_req, res) => {
    res.status(404).send(page('Not found', '<h1>Not found</h1><p><a href="/">Home</a></p>'));
  });
  // The store failing (lapse unreachable past the clients' retries) is the likely error.
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    console.error(`session demo: ${err.message}`);
    res.status(503).send(page('Unavailable', '<h1>The session store is unavailable</h1><p>Try again in a moment.</p>'));
  });
  return app;
}

interface ListedSession extends Partial<session.SessionData> {
  id: string;
}

/** The store's all(): connect-redis SCANs prefix* and MGETs the sessions it found. */
function allSessions(store: session.Store): Promise<ListedSession[]> {
  return new Promise((resolve, reject) => {
    if (!store.all) return reject(new Error('the store cannot list sessions'));
    store.all((err, found) => {
      if (err) return reject(err);
      const list = Array.isArray(found)
        ? (found as ListedSession[])
        : Object.entries(found ?? {}).map(([id, s]) => ({ ...s, id }));
      resolve(list);
    });
  });
}

/** Compares in constant time, so response times say nothing about the password. */
function sameSecret(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

function seconds(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

function hasSessionCookie(req: Request): boolean {
  const header = req.headers.cookie;
  return header !== undefined && header.split(/;\s*/).some((c) => c.startsWith(`${COOKIE_NAME}=`));
}

function loginPage(text: { notice?: string; error?: string; hint?: string }): string {
  return page(
    'Log in',
    `<h1>Log in</h1>
${text.notice ? `<p class="notice" id="notice">${escape(text.notice)}</p>` : ''}
${text.error ? `<p class="error" id="error">${escape(text.error)}</p>` : ''}
<form method="post" action="/login">
<label>Name <input name="name" id="name" maxlength="${MAX_NAME}" required autofocus></label>
<label>Password <input name="password" id="password" type="password" required></label>
<button id="login">Log in</button>
</form>
<p class="hint">Any name will do${text.hint === undefined ? '' : `; the password is <code>${escape(text.hint)}</code>`}.</p>`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)} · lapse session demo</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; }
label { display: block; margin: .5rem 0; }
input { display: block; font: inherit; padding: .3rem; width: 16rem; }
button { font: inherit; padding: .3rem 1rem; margin-top: .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #ddd; }
tr.mine { background: #eef6ff; }
.error { color: #b00020; }
.notice { background: #fff6dd; padding: .4rem .6rem; }
.hint, footer { color: #666; font-size: .9rem; }
</style></head>
<body>${body}
<footer><p>lapse session demo: express-session + connect-redis, with lapse as the Redis server.</p></footer>
</body></html>`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}
