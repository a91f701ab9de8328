/** The account statuses in the lifecycle's order, and their names. */
import type { Schemas } from "../../api/client";
import { ta, type AdminKey } from "../i18n";

export type Status = Schemas["UserStatus"];

export const STATUSES: Status[] = [
  "pending_email",
  "pending_validation",
  "pre_validated",
  "payment_pending",
  "active",
  "expired",
  "inactive",
  "canceled",
  "abandoned",
  "rejected",
];

export function statusLabel(status: Status): string {
  return ta(`status.${status}` as AdminKey);
}
