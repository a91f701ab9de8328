import type { Schemas } from "../../api/client";

export type Plan = Schemas["Plan"];

/** A plan whose members choose what they pay, from its minimum. */
export function payWhatYouCan(plan: Plan): boolean {
  return plan.minimum_price_cents < plan.price_cents;
}

/** What the amount field starts at: the suggestion, else the price. */
export function startingAmount(plan: Plan): number {
  return payWhatYouCan(plan)
    ? Math.max(plan.suggested_price_cents ?? plan.price_cents, plan.minimum_price_cents)
    : plan.price_cents;
}
