/**
 * A form's state: what was typed (kept when the server refuses), the
 * errors the API named by field, and a refusal about the whole form. On a
 * refused submit the focus moves to the first field in error, or to the
 * message.
 */
import { useState } from "preact/hooks";
import { ApiError } from "../api/errors";
import { t } from "../i18n";

/** The keys of `T` whose values are text. */
type TextKeys<T> = { [K in keyof T]: T[K] extends string ? K : never }[keyof T] & string;

/** What a text input needs to show and change one value of a form. */
export interface Bound {
  field: string;
  value: string;
  error: string | undefined;
  onInput: (value: string) => void;
}

export interface Form<T> {
  values: T;
  set: <K extends keyof T>(key: K, value: T[K]) => void;
  /** The API's message for `field` (a path such as `profile.address.city`). */
  error: (field: string) => string | undefined;
  /** The props of the text input for `key` (`<TextField {...form.bind("email")} />`). */
  bind: (key: TextKeys<T>) => Bound;
  /** A refusal that names no field. */
  problem: string | null;
  busy: boolean;
  /** Runs `action`; an `ApiError` becomes field errors or the problem. */
  submit: (action: (values: T) => Promise<void>) => (event: Event) => void;
}

/** The id of the input for API field `field`. */
export function fieldId(field: string): string {
  return "f-" + field.replace(/[^a-zA-Z0-9_-]/g, "-");
}

/** `scope` tells apart forms repeated on one page (a dialog per row): their
 * inputs are named `scope.field`, and a refused field is found by it. */
export function useForm<T extends object>(initial: T, scope?: string): Form<T> {
  const [values, setValues] = useState<T>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = (action: (values: T) => Promise<void>) => (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors({});
    setProblem(null);
    action(values)
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.field) {
          setErrors({ [error.field]: error.explanation });
          setProblem(t("form.fix"));
          // After the render that shows the message.
          const field = scope ? `${scope}.${error.field}` : error.field;
          setTimeout(() => document.getElementById(fieldId(field))?.focus(), 0);
        } else {
          setProblem(error instanceof ApiError ? error.explanation : t("app.error"));
        }
      })
      .finally(() => setBusy(false));
  };

  const set = <K extends keyof T>(key: K, value: T[K]) =>
    setValues((current) => ({ ...current, [key]: value }));
  return {
    values,
    set,
    error: (field) => errors[field],
    bind: (key) => ({
      field: key,
      value: values[key] as string,
      error: errors[key],
      onInput: (value) => set(key, value as T[typeof key]),
    }),
    problem,
    busy,
    submit,
  };
}
