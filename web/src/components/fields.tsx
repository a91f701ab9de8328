/**
 * Labelled inputs that show their error next to them (and tell assistive
 * technology about it). `field` is the API's name for the value, which
 * also gives the input its id.
 */
import type { ComponentChildren } from "preact";
import { fieldId } from "./form";

interface Base {
  field: string;
  label: string;
  error?: string | undefined;
  hint?: string;
  required?: boolean;
}

function Described({ field, error, hint }: Base) {
  return (
    <>
      {hint && (
        <p class="hint" id={fieldId(field) + "-hint"}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={fieldId(field) + "-error"}>
          {error}
        </p>
      )}
    </>
  );
}

function describedBy({ field, error, hint }: Base): string | undefined {
  const ids = [hint && fieldId(field) + "-hint", error && fieldId(field) + "-error"].filter(
    Boolean,
  );
  return ids.length ? ids.join(" ") : undefined;
}

interface TextProps extends Base {
  value: string;
  onInput: (value: string) => void;
  type?: "text" | "email" | "password" | "tel" | "date" | "datetime-local" | "url" | "search";
  autocomplete?: string;
  inputMode?: "decimal" | "numeric" | "text";
}

export function TextField(props: TextProps) {
  const id = fieldId(props.field);
  return (
    <div class={"field" + (props.error ? " invalid" : "")}>
      <label htmlFor={id}>
        {props.label}
        {props.required && <span class="required"> *</span>}
      </label>
      <input
        id={id}
        name={props.field}
        type={props.type ?? "text"}
        value={props.value}
        required={props.required}
        autocomplete={props.autocomplete}
        inputMode={props.inputMode}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy(props)}
        onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
      />
      <Described {...props} />
    </div>
  );
}

interface AreaProps extends Base {
  value: string;
  onInput: (value: string) => void;
}

export function TextArea(props: AreaProps) {
  const id = fieldId(props.field);
  return (
    <div class={"field" + (props.error ? " invalid" : "")}>
      <label htmlFor={id}>{props.label}</label>
      <textarea
        id={id}
        name={props.field}
        rows={3}
        value={props.value}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy(props)}
        onInput={(e) => props.onInput((e.currentTarget as HTMLTextAreaElement).value)}
      />
      <Described {...props} />
    </div>
  );
}

interface CheckProps extends Base {
  checked: boolean;
  onChange: (checked: boolean) => void;
}

export function Checkbox(props: CheckProps) {
  const id = fieldId(props.field);
  return (
    <div class={"field check" + (props.error ? " invalid" : "")}>
      <input
        id={id}
        name={props.field}
        type="checkbox"
        checked={props.checked}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy(props)}
        onChange={(e) => props.onChange((e.currentTarget as HTMLInputElement).checked)}
      />
      <label htmlFor={id}>{props.label}</label>
      <Described {...props} />
    </div>
  );
}

interface SelectProps extends Base {
  value: string;
  onChange: (value: string) => void;
  options: { value: string; label: string }[];
}

export function Select(props: SelectProps) {
  const id = fieldId(props.field);
  return (
    <div class={"field" + (props.error ? " invalid" : "")}>
      <label htmlFor={id}>{props.label}</label>
      <select
        id={id}
        name={props.field}
        value={props.value}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy(props)}
        onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <Described {...props} />
    </div>
  );
}

/** A group of fields under a legend. */
export function Group({ legend, children }: { legend: string; children: ComponentChildren }) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {children}
    </fieldset>
  );
}

/** The submit button, which says when the form is being sent. */
export function Submit({ busy, children }: { busy: boolean; children: ComponentChildren }) {
  return (
    <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
      {children}
    </button>
  );
}
