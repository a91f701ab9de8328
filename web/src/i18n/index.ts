import { en, type MessageKey } from "./en";

/** The catalogue in use; a translation is another object of the same keys. */
const messages: Record<MessageKey, string> = en;

/** The message `key`, with `{name}` placeholders filled from `vars`. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  return messages[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in vars ? String(vars[name]) : whole,
  );
}

export type { MessageKey };
