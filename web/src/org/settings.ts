/**
 * The organisation's public settings (name, logo, time zone, currency),
 * loaded once and shared: every date and amount the pages show follows
 * them.
 */
import { useEffect, useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../api/client";

export type Settings = Schemas["Settings"];

const fallback: Settings = {
  name: "",
  time_zone: "UTC",
  currency: "EUR",
  terms_version: "",
  staff_need_membership: false,
  grace_days: 30,
  pending_payment_access: false,
  record_retention_years: 10,
};
let current: Settings | null = null;
let loading: Promise<Settings> | null = null;
const listeners = new Set<() => void>();

/** Loads (or loads again, after an admin changed them) the settings. */
export function reloadSettings(): Promise<Settings> {
  loading = unwrap(api.GET("/api/settings"))
    .then((settings) => {
      current = settings;
      for (const listener of listeners) listener();
      return settings;
    })
    .catch(() => current ?? fallback);
  return loading;
}

/** The settings, re-rendering when they arrive or change. */
export function useSettings(): Settings {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    if (!loading) void reloadSettings();
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return current ?? fallback;
}
