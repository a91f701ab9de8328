/**
 * Dates in the organisation's time zone and money in its currency, as the
 * browser's own Intl formats them.
 */

const LOCALE = "en-GB";

/** `cents` as money in `currency` (ISO 4217). */
export function money(cents: number, currency: string): string {
  return new Intl.NumberFormat(LOCALE, { style: "currency", currency }).format(cents / 100);
}

/** A day, in `timeZone`. */
export function day(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(LOCALE, { dateStyle: "long", timeZone }).format(new Date(iso));
}

/** The last day a period ending at the instant `iso` covers, in
 * `timeZone`: periods end at midnight, so the day before. */
export function lastDay(iso: string, timeZone: string): string {
  return day(new Date(Date.parse(iso) - 1).toISOString(), timeZone);
}

/** A day and time, in `timeZone`. */
export function dateTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(LOCALE, {
    dateStyle: "full",
    timeStyle: "short",
    timeZone,
  }).format(new Date(iso));
}

/** Whole currency units typed by a person (`12`, `12.50`, `12,5`) as cents. */
export function toCents(typed: string): number | null {
  const normal = typed.trim().replace(",", ".");
  if (!/^\d+(\.\d{1,2})?$/.test(normal)) return null;
  return Math.round(Number(normal) * 100);
}

/** Cents as what a person would type. */
export function fromCents(cents: number): string {
  return (cents / 100).toFixed(cents % 100 === 0 ? 0 : 2);
}
