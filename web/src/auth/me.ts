/**
 * Who is signed in: the account as `GET /api/auth/me` answers it, loaded
 * once per session and shared by every page.
 */
import { useEffect, useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../api/client";
import { COOKIE_MODE, session } from "./session";

export type Me = Schemas["Me"];

type State = { phase: "starting" } | { phase: "anonymous" } | { phase: "signed-in"; me: Me };

let state: State = { phase: "starting" };
const listeners = new Set<() => void>();

function set(next: State) {
  state = next;
  for (const listener of listeners) listener();
}

/** Loads the account of the current session (or none). */
export async function reloadMe(): Promise<void> {
  if (session.token() === null) {
    set({ phase: "anonymous" });
    return;
  }
  try {
    const me = await unwrap(api.GET("/api/auth/me"));
    set({ phase: "signed-in", me });
  } catch {
    set({ phase: "anonymous" });
  }
}

/** On start, a session the browser still holds (its cookie) is resumed. */
export async function resume(): Promise<void> {
  await session.refresh();
  await reloadMe();
}

session.subscribe(() => {
  const signedIn = state.phase === "signed-in";
  if (session.token() === null && signedIn) set({ phase: "anonymous" });
});

/** The account, re-rendering the component when it changes. */
export function useMe(): State {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return state;
}

/** Ends this session (or every session of the account), then forgets it. */
export async function signOut(everywhere: boolean): Promise<void> {
  try {
    await api.POST("/api/auth/logout", {
      headers: COOKIE_MODE,
      body: { everywhere, refresh_token: null },
    });
  } finally {
    session.clear();
    set({ phase: "anonymous" });
  }
}

/** Whether the account holds permission `code`. */
export function can(me: Me, code: string): boolean {
  return me.permissions.includes(code);
}
