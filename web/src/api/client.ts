/**
 * The one client of the API, typed from its OpenAPI document (`schema.d.ts`
 * is generated: `npm run api`). It adds the access token, and on a 401
 * refreshes the session once (one refresh at a time, whoever asks) and
 * retries; a session that cannot be refreshed sends the person to sign in.
 */
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";
import { ApiError, errorOf, unreachable } from "./errors";
import { session } from "../auth/session";

export type Schemas = components["schemas"];
export { ApiError };

/** Routes whose 401 means "wrong credentials", not "session over". */
const SIGN_IN_ROUTES = ["/api/auth/login", "/api/auth/refresh", "/api/auth/change-password"];

function send(request: Request): Promise<Response> {
  const token = session.token();
  if (token) request.headers.set("authorization", `Bearer ${token}`);
  return fetch(request);
}

async function authenticatedFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  const hadToken = session.token() !== null;
  const response = await send(request);
  const path = new URL(request.url).pathname;
  if (response.status !== 401 || !hadToken || SIGN_IN_ROUTES.includes(path)) return response;
  if (await session.refresh()) return send(retry);
  session.expire();
  return response;
}

export const api = createClient<paths>({ baseUrl: "", fetch: authenticatedFetch });

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a call, or its error thrown as an [`ApiError`]. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch {
    throw unreachable();
  }
  if (result.response.ok) return result.data as T;
  throw errorOf(result.response, result.error);
}
