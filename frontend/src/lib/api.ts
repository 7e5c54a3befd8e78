/**
 * The typed API client. Types come from the OpenAPI schema (src/generated/api.ts, made by `npm run gen`), never
 * by hand. URLs are relative: the API serves this app same-origin, and `vite dev` proxies /api.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "../generated/api";

export type Schemas = components["schemas"];

/** The bearer token of the signed-in session, set by the wallet store. */
let bearer: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setBearer(token: string | null): void {
  bearer = token;
}

/** Called when the API answers 401 to an authenticated request (expired or revoked session). */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

const auth: Middleware = {
  onRequest({ request }) {
    if (bearer && !request.headers.has("Authorization")) request.headers.set("Authorization", `Bearer ${bearer}`);
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && request.headers.has("Authorization") && onUnauthorized) onUnauthorized();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: "" });
api.use(auth);

/** The API's one error shape: {"error": {"code", "message", "detail"}}. */
export interface ApiErrorBody {
  error: { code: string; message: string; detail?: unknown };
}

/** A failed API call, carrying the stable code and the human message the server wrote. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = "ApiRequestError";
  }
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const inner = (value as { error: unknown }).error;
  return typeof inner === "object" && inner !== null && "message" in inner;
}

/** Turn an openapi-fetch result into its data, or throw ApiRequestError with the server's message. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  const { data, error, response } = result;
  if (response.ok && data !== undefined) return data;
  if (isErrorBody(error)) {
    throw new ApiRequestError(response.status, error.error.code, error.error.message, error.error.detail);
  }
  if (response.status === 502 || response.status === 503 || response.status === 504) {
    throw new ApiRequestError(response.status, "unavailable", "The Hundi API is not reachable right now. Try again in a moment.");
  }
  throw new ApiRequestError(response.status, "http_error", `The API answered ${response.status} ${response.statusText}`.trim());
}

/** A person-readable message for anything thrown while talking to the API. */
export function describeError(err: unknown): string {
  if (err instanceof ApiRequestError) return err.message;
  if (err instanceof TypeError) return "Cannot reach the Hundi API. Check your connection and that the server is running.";
  if (err instanceof Error) return err.message;
  return String(err);
}
