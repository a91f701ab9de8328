import { useState } from "preact/hooks";
import type { Schemas } from "../../api/client";
import { ta } from "../i18n";
import { Action } from "./Action";

/** A list's export: the button asks the API for the CSV of what the
 * filters select, then a link opens the file (valid a few minutes). */
export function Export({
  label,
  run,
}: {
  label: string;
  run: () => Promise<Schemas["ExportLink"]>;
}) {
  const [exported, setExported] = useState<Schemas["ExportLink"] | null>(null);
  return (
    <div class="toolbar">
      <Action action={async () => setExported(await run())}>{label}</Action>
      {exported && (
        <a href={exported.download_url} download>
          {ta("members.download", { rows: exported.rows })}
        </a>
      )}
    </div>
  );
}
