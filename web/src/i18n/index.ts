import { en, type MessageKey } from "./en";

/** The catalogue in use; a translation is another object of the same keys. */
const messages: Record<MessageKey, string> = en;

export type Vars = Record<string, string | number>;

/** `template` with its `{name}` placeholders filled from `vars`. */
export function fill(template: string, vars: Vars): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in vars ? String(vars[name]) : whole,
  );
}

/** The message `key`, with `{name}` placeholders filled from `vars`. */
export function t(key: MessageKey, vars: Vars = {}): string {
  return fill(messages[key], vars);
}

export type { MessageKey };
