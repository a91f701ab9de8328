import { useEffect, useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import { Select, TextField } from "../../components/fields";
import { ta } from "../i18n";

type Found = Schemas["MemberSummary"];

interface Props {
  /** The API's name for the chosen member's id (`user_id`). */
  field: string;
  error: string | undefined;
  value: string;
  onChange: (id: string) => void;
}

/** Choosing a member for a payment or a gift: type part of a name or an
 * address, then pick among the ten closest matches. */
export function MemberPicker({ field, error, value, onChange }: Props) {
  const [typed, setTyped] = useState("");
  const [found, setFound] = useState<Found[]>([]);
  useEffect(() => {
    if (typed.trim().length < 2) return undefined;
    let live = true;
    const timer = setTimeout(() => {
      void unwrap(api.GET("/api/members", { params: { query: { q: typed.trim(), per_page: 10 } } }))
        .then((page) => {
          if (!live) return;
          setFound(page.items);
          if (page.items[0] && !page.items.some((m) => m.id === value)) onChange(page.items[0].id);
        })
        .catch(() => live && setFound([]));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [typed]);
  return (
    <>
      <TextField
        field={`${field}-search`}
        type="search"
        label={ta("picker.search")}
        value={typed}
        onInput={setTyped}
      />
      <Select
        field={field}
        label={ta("picker.member")}
        value={value}
        error={error}
        onChange={onChange}
        options={
          found.length
            ? found.map((m) => ({
                value: m.id,
                label: `${m.first_name} ${m.last_name} <${m.email}>`,
              }))
            : [{ value: "", label: ta("picker.typeFirst") }]
        }
      />
    </>
  );
}
