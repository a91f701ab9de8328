import type { ComponentChildren } from "preact";

interface Props {
  caption?: string;
  headers: string[];
  /** The rows (`<tr>`, the first cell a `<th scope="row">`). */
  children: ComponentChildren;
}

/** A table of records that scrolls sideways on its own on a phone. */
export function DataTable({ caption, headers, children }: Props) {
  return (
    <div class="table-scroll">
      <table class="data">
        {caption && <caption>{caption}</caption>}
        <thead>
          <tr>
            {headers.map((header) => (
              <th key={header} scope="col">
                {header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
