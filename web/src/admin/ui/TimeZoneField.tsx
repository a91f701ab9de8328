import { fieldId } from "../../components/form";
import { ta } from "../i18n";

/** Every time zone the browser knows, for the list the field suggests. */
const ZONES: string[] = Intl.supportedValuesOf("timeZone");

interface Props {
  field: string;
  label: string;
  value: string;
  error: string | undefined;
  onInput: (value: string) => void;
}

/** A time zone, searchable: typing part of a city narrows the list. */
export function TimeZoneField({ field, label, value, error, onInput }: Props) {
  const id = fieldId(field);
  return (
    <div class={"field" + (error ? " invalid" : "")}>
      <label htmlFor={id}>{label}</label>
      <p class="hint" id={`${id}-hint`}>
        {ta("zone.hint")}
      </p>
      <input
        id={id}
        name={field}
        list={`${id}-zones`}
        value={value}
        autocomplete="off"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-hint ${id}-error` : `${id}-hint`}
        onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)}
      />
      <datalist id={`${id}-zones`}>
        {ZONES.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
