import { useState } from "preact/hooks";
import { Submit, TextField } from "../../components/fields";
import { useForm } from "../../components/form";
import { Notice, Problem } from "../../components/Notice";
import { t } from "../../i18n";

interface Props {
  /** Asks the API; it answers the same whether the address has an account. */
  send: (email: string) => Promise<unknown>;
  submit: string;
  /** Said once sent, whatever the address. */
  sent: string;
}

/** A form that asks only an address: forgot password, a new confirmation
 * link. */
export function EmailOnlyForm({ send, submit, sent }: Props) {
  const form = useForm({ email: "" });
  const [done, setDone] = useState(false);
  if (done) return <Notice>{sent}</Notice>;
  return (
    <form
      noValidate
      onSubmit={form.submit(async (values) => {
        await send(values.email.trim());
        setDone(true);
      })}
    >
      {form.problem && <Problem>{form.problem}</Problem>}
      <TextField
        {...form.bind("email")}
        label={t("signIn.email")}
        type="email"
        autocomplete="email"
        required
      />
      <Submit busy={form.busy}>{submit}</Submit>
    </form>
  );
}
