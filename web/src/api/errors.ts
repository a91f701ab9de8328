import { t } from "../i18n";
import type { components } from "./schema";

/** A code the API sends (its catalogue, from the OpenAPI document), or
 * one of the app's own: `network` when no answer came, `http_<status>` for
 * an answer without the error shape, `validation_failed` for a form the app
 * refused before sending, `upload_failed` when storage refused a file,
 * `unknown` for any other failure. */
export type ErrorCode =
  | components["schemas"]["ErrorCode"]
  | "network"
  | `http_${number}`
  | "validation_failed"
  | "upload_failed"
  | "unknown";

/** An answer of the API that is not a success: its status, stable code,
 * message for people, the field it is about, and how long to wait. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    field?: string,
    retryAfter?: number,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field ?? undefined;
    this.retryAfter = retryAfter;
  }

  /** What to tell a person about it. */
  get explanation(): string {
    if (this.status === 429 && this.retryAfter) return t("app.wait", { seconds: this.retryAfter });
    if (this.status === 503 || this.status === 0) return t("app.unavailable");
    return this.message || t("app.error");
  }

  /** Whether trying again later may work. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 503 || this.status === 429;
  }
}

interface ErrorBody {
  error?: { code?: ErrorCode; message?: string; field?: string | null };
}

/** The error an answer carries, read from its JSON body and headers. */
export function errorOf(response: Response, body: unknown): ApiError {
  const error = (body as ErrorBody | undefined)?.error;
  const wait = Number(response.headers.get("retry-after"));
  return new ApiError(
    response.status,
    error?.code ?? `http_${response.status}`,
    error?.message ?? t("app.error"),
    error?.field ?? undefined,
    Number.isFinite(wait) && wait > 0 ? wait : undefined,
  );
}

/** A network failure (no answer at all). */
export function unreachable(): ApiError {
  return new ApiError(0, "network", t("app.unavailable"));
}
