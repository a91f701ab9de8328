/**
 * The signed-in session. The access token lives in memory only (never in
 * storage a script of another origin, or a later visitor, could read); the
 * refresh token lives in an HttpOnly cookie the API sets and page scripts
 * never see. A reload refreshes from that cookie. Refreshes are
 * single-flight: concurrent callers share one request, so a rotated token
 * is never presented twice.
 */

/** Asks the API to keep the refresh token in its cookie. */
export const COOKIE_MODE = { "x-loaf-session": "cookie" } as const;

export interface Started {
  access_token: string;
  expires_in: number;
}

type Listener = () => void;

let token: string | null = null;
let refreshing: Promise<boolean> | null = null;
let renewal: ReturnType<typeof setTimeout> | undefined;
let ended = false;
const listeners = new Set<Listener>();

function notify() {
  for (const listener of listeners) listener();
}

function start(session: Started) {
  token = session.access_token;
  ended = false;
  clearTimeout(renewal);
  // Renewed a minute before it lapses, so requests seldom meet a 401.
  renewal = setTimeout(() => void session_.refresh(), Math.max(session.expires_in - 60, 30) * 1000);
  notify();
}

async function refreshOnce(): Promise<boolean> {
  try {
    const response = await fetch("/api/auth/refresh", {
      method: "POST",
      headers: { "content-type": "application/json", ...COOKIE_MODE },
      body: "{}",
      credentials: "same-origin",
    });
    if (!response.ok) {
      if (token !== null) {
        token = null;
        notify();
      }
      return false;
    }
    start((await response.json()) as Started);
    return true;
  } catch {
    return false;
  }
}

const session_ = {
  /** The access token, if signed in. */
  token: (): string | null => token,

  /** Whether the last session ended on its own (sign in again). */
  ended: (): boolean => ended,

  /** A session the API just answered (sign-in, invitation, password). */
  start,

  /** Trades the cookie for a new access token; `false` when there is no
   * session to continue. */
  refresh(): Promise<boolean> {
    refreshing ??= refreshOnce().finally(() => {
      refreshing = null;
    });
    return refreshing;
  },

  /** The session ended under the page (expired, revoked elsewhere). */
  expire() {
    token = null;
    ended = true;
    clearTimeout(renewal);
    notify();
  },

  /** Forgets the session here (after signing out). */
  clear() {
    token = null;
    ended = false;
    clearTimeout(renewal);
    notify();
  },

  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

export const session = session_;
