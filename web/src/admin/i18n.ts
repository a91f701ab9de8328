/**
 * The administration's strings: a catalogue of their own (`src/i18n/
 * admin.en.ts`), loaded with the dashboard's code so members never
 * download it. A translation is that file in another language, beside the
 * members' one.
 */
import { adminEn, type AdminKey } from "../i18n/admin.en";
import { fill, type Vars } from "../i18n";

const messages: Record<AdminKey, string> = adminEn;

/** The administration's message `key`, with `{name}` placeholders filled. */
export function ta(key: AdminKey, vars: Vars = {}): string {
  return fill(messages[key], vars);
}

export type { AdminKey };
