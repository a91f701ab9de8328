import type { Schemas } from "../../api/client";
import { t } from "../../i18n";

/** Seats taken and the waiting list, when the event has a capacity. */
export function Seats({ event }: { event: Schemas["Event"] }) {
  if (event.capacity == null) return null;
  const taken = Math.min(event.attending, event.capacity);
  return (
    <span class="meta">
      {t("events.seats", { taken, capacity: event.capacity })}
      {event.waitlisted > 0 && ` · ${t("events.waitlist", { count: event.waitlisted })}`}
    </span>
  );
}
