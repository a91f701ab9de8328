import { ta } from "../i18n";

interface Props {
  page: number;
  perPage: number;
  total: number;
  /** The total is the server's estimate (`total_is_estimate`). */
  estimated?: boolean;
  onPage: (page: number) => void;
}

/** Where a long list is, and the way to the pages before and after. */
export function Pager({ page, perPage, total, estimated = false, onPage }: Props) {
  const last = Math.max(1, Math.ceil(total / perPage));
  return (
    <nav class="pager" aria-label={ta("pager.label")}>
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        {ta("pager.previous")}
      </button>
      <span aria-live="polite">
        {ta(estimated ? "pager.whereAbout" : "pager.where", { page, last, total })}
      </span>
      <button type="button" disabled={page >= last} onClick={() => onPage(page + 1)}>
        {ta("pager.next")}
      </button>
    </nav>
  );
}
