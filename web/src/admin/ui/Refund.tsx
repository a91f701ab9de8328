import { useRef } from "preact/hooks";
import { Submit, TextArea, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Problem } from "../../components/Notice";
import { fromCents, money, toCents } from "../../format";
import { ta } from "../i18n";

interface Props {
  /** The payment's id: tells this dialog's fields from other rows'. */
  id: string;
  /** What is left to refund, in cents, and its currency. */
  left: number;
  currency: string;
  /** Whose payment, said in the dialog. */
  what: string;
  run: (body: { amount_cents: number | null; reason: string }) => Promise<unknown>;
  done: () => void;
}

/** A refund: a dialog asks how much (all that is left unless changed) and
 * why, then refunds (an online payment through the payment provider).
 * Like `Confirm`, it opens and closes in the click's own handler. */
export function Refund({ id, left, currency, what, run, done }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const scope = `refund-${id}`;
  const form = useForm({ amount: fromCents(left), reason: "" }, scope);
  return (
    <>
      <button type="button" onClick={() => dialog.current?.showModal()}>
        {ta("refund.open")}
      </button>
      <dialog ref={dialog} aria-label={ta("refund.title", { what })}>
        <form
          noValidate
          onSubmit={form.submit(async ({ amount, reason }) => {
            const cents = toCents(amount);
            await run({ amount_cents: cents === left ? null : (cents ?? -1), reason });
            dialog.current?.close();
            done();
          })}
        >
          <p>{ta("refund.intro", { what, left: money(left, currency) })}</p>
          {form.problem && <Problem>{form.problem}</Problem>}
          <TextField
            field={`${scope}.amount_cents`}
            label={ta("refund.amount", { currency })}
            inputMode="decimal"
            value={form.values.amount}
            error={form.error("amount_cents")}
            onInput={(value) => form.set("amount", value)}
          />
          <TextArea
            field={`${scope}.reason`}
            label={ta("refund.reason")}
            value={form.values.reason}
            error={form.error("reason")}
            onInput={(value) => form.set("reason", value)}
          />
          <div class="actions">
            <Submit busy={form.busy}>{ta("refund.confirm")}</Submit>
            <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
              {ta("confirm.cancel")}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
