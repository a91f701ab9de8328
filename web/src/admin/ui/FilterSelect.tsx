import { Select } from "../../components/fields";
import { ta } from "../i18n";
import type { QueryState } from "./query";

interface Props {
  /** The key the list's address keeps the choice under. */
  name: string;
  label: string;
  state: QueryState;
  options: { value: string; label: string }[];
  /** What no choice means ("Any" unless said). */
  none?: string;
}

/** One of a list's filters, kept in the address with the rest. */
export function FilterSelect({ name, label, state, options, none = ta("members.any") }: Props) {
  return (
    <Select
      field={`filter-${name}`}
      label={label}
      value={state.get(name)}
      onChange={(value) => state.set({ [name]: value })}
      options={[{ value: "", label: none }, ...options]}
    />
  );
}
