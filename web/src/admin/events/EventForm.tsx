import { api, unwrap, type Schemas } from "../../api/client";
import { Select, Submit, TextArea, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Problem } from "../../components/Notice";
import { useSettings } from "../../org/settings";
import { ta } from "../i18n";
import { TimeZoneField } from "../ui/TimeZoneField";
import { toInstant, toLocal } from "../ui/zoned";

type Event = Schemas["Event"];

interface Values {
  title: string;
  description: string;
  location: string;
  start: string;
  end: string;
  time_zone: string;
  capacity: string;
  visibility: "public" | "members";
}

/** An event's fields, to create one (no `event`) or change it. Times are
 * the wall clock of the event's time zone. */
export function EventForm({ event, saved }: { event?: Event; saved: (event: Event) => void }) {
  const settings = useSettings();
  const zone = event?.time_zone ?? settings.time_zone;
  const form = useForm<Values>({
    title: event?.title ?? "",
    description: event?.description ?? "",
    location: event?.location ?? "",
    start: event ? toLocal(event.start_at, zone) : "",
    end: event ? toLocal(event.end_at, zone) : "",
    time_zone: zone,
    capacity: event?.capacity != null ? String(event.capacity) : "",
    visibility: event?.visibility === "members" ? "members" : "public",
  });
  const v = form.values;
  return (
    <form
      noValidate
      onSubmit={form.submit(async (values) => {
        const body = {
          title: values.title.trim(),
          description: values.description.trim() || null,
          location: values.location.trim() || null,
          start_at: toInstant(values.start, values.time_zone),
          end_at: toInstant(values.end, values.time_zone),
          time_zone: values.time_zone,
          capacity: values.capacity.trim() ? Number(values.capacity) : null,
          visibility: values.visibility,
        };
        saved(
          event
            ? await unwrap(
                api.PATCH("/api/events/{id}", { params: { path: { id: event.id } }, body }),
              )
            : await unwrap(api.POST("/api/events", { body })),
        );
      })}
    >
      {form.problem && <Problem>{form.problem}</Problem>}
      <TextField {...form.bind("title")} label={ta("events.name")} required />
      <TextArea
        field="description"
        label={ta("events.description")}
        value={v.description}
        error={form.error("description")}
        onInput={(text) => form.set("description", text)}
      />
      <TextField {...form.bind("location")} label={ta("events.location")} />
      <TextField
        {...form.bind("start")}
        error={form.error("start_at")}
        type="datetime-local"
        label={ta("events.start")}
        required
      />
      <TextField
        {...form.bind("end")}
        error={form.error("end_at")}
        type="datetime-local"
        label={ta("events.end")}
        required
      />
      <TimeZoneField
        field="time_zone"
        label={ta("events.timeZone")}
        value={v.time_zone}
        error={form.error("time_zone")}
        onInput={(value) => form.set("time_zone", value)}
      />
      <TextField
        {...form.bind("capacity")}
        label={ta("events.capacity")}
        hint={ta("events.capacityHint")}
        inputMode="numeric"
      />
      <Select
        field="visibility"
        label={ta("events.visibility")}
        value={v.visibility}
        error={form.error("visibility")}
        onChange={(value) => form.set("visibility", value === "members" ? "members" : "public")}
        options={[
          { value: "public", label: ta("events.public") },
          { value: "members", label: ta("events.membersOnly") },
        ]}
      />
      <Submit busy={form.busy}>{event ? ta("events.save") : ta("events.create")}</Submit>
    </form>
  );
}
