import { ApiError } from "../../api/errors";
import { toCents } from "../../format";
import { ta } from "../i18n";

/** An amount typed in a form as cents; one that is not an amount is
 * refused at `field` before anything is sent, as the API would refuse it. */
export function amount(typed: string, field: string): number {
  const cents = toCents(typed);
  if (cents === null) throw new ApiError(422, "validation_failed", ta("form.amount"), field);
  return cents;
}

/** An optional amount: empty is none. */
export function optionalAmount(typed: string, field: string): number | null {
  return typed.trim() ? amount(typed, field) : null;
}
