/**
 * Talking to one oracle node from the operator page: its /healthz and /oracle/v1/status (GET), and the operator's
 * release of a held bank payment (POST /oracle/v1/payments/{transactionId}/release). The node is another origin
 * than the API, so requests go through fetch with the operator token, and every failure becomes a message that
 * says what happened and what to do next, written from the node's `{"error": {code, message, detail}}` body.
 *
 * The pure helpers (what to prefill, what to refuse before sending, how to word a refusal) live here so they are
 * unit-tested without a browser.
 */

/** A failed oracle request, with the node's stable code when it sent one. */
export class OracleError extends Error {
  constructor(
    message: string,
    readonly status = 0,
    readonly code = "",
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = "OracleError";
  }
}

/** A held bank payment as `held.payments` of /oracle/v1/status lists it (oracle/bank/models.py BankPaymentPublic). */
export interface HeldPayment {
  id: number;
  transaction_id: string;
  invoice_number: string;
  /** Rupees in canonical text, e.g. "1234.50". */
  amount: string;
  /** The same amount in stablecoin base units (decimal text). */
  amount_units: string;
  status: string;
  paid_at: number;
  bank_ref: string;
  outcome: string;
  hold_reason: string | null;
  hold_detail: string | null;
  invoice_id: number | null;
  /** Comma-separated invoice ids sharing the invoice number (ambiguous holds). */
  candidates: string | null;
  report_id: string | null;
  received_at: number;
}

/** The node's answer to a release: the payment's new outcome (IntakeResult.as_json). */
export interface ReleaseResult {
  transactionId: string;
  outcome: string;
  duplicate: boolean;
  bankRef: string;
  invoiceId: number | null;
  reportId: string | null;
  holdReason: string | null;
  holdDetail: string | null;
}

/** The note's limit on the node (oracle/app.py ReleaseBody.note). */
export const MAX_NOTE = 200;
/** Invoice ids the node accepts are 1 .. 2^63-1; the browser sends them as JSON numbers, exact up to 2^53-1. */
const MAX_INVOICE_ID = Number.MAX_SAFE_INTEGER;

/** The oracle's base URL: the configured one, or same-origin /oracle through `vite dev`'s proxy. */
export function oracleBase(configured: string, dev: boolean = import.meta.env.DEV): string {
  return dev ? "" : configured.replace(/\/+$/, "");
}

function unreachable(base: string, what: string): OracleError {
  return new OracleError(
    `Cannot reach the oracle at ${base || "this origin"}${what}. Check that it runs (hundi oracle run) and allows ` +
      "requests from this site (HUNDI_ORACLE_CORS_ORIGINS).",
  );
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return null; // a non-JSON answer (a proxy's error page...)
  }
}

/** GET `path` from the node. A 503 is returned, not thrown: /healthz answers 503 with a body when stalled. */
export async function oracleFetch<T>(base: string, path: string, token?: string): Promise<{ status: number; body: T }> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  } catch {
    throw unreachable(base, "");
  }
  const body = await readJson(response);
  if (!response.ok && response.status !== 503) throw oracleError(response.status, body);
  return { status: response.status, body: body as T };
}

/** The invoice ids of an ambiguous hold, in order, without duplicates or junk. */
export function parseCandidates(text: string | null | undefined): number[] {
  if (!text) return [];
  const ids = text
    .split(",")
    .map((part) => part.trim())
    .filter((part) => /^\d+$/.test(part))
    .map(Number);
  return [...new Set(ids)];
}

/**
 * The invoice to prefill: the one the node matched (a payment held because its invoice was not repayable), or the
 * only candidate. Never a guess among several.
 */
export function suggestedInvoiceId(payment: Pick<HeldPayment, "invoice_id" | "candidates">): number | null {
  if (payment.invoice_id != null && payment.invoice_id > 0) return payment.invoice_id;
  const candidates = parseCandidates(payment.candidates);
  return candidates.length === 1 ? (candidates[0] ?? null) : null;
}

/** Why the node held a payment, in words (oracle/bank/models.py HoldReason). */
export function holdReasonText(reason: string | null | undefined): string {
  switch (reason) {
    case "unknown_invoice":
      return "No invoice the node knows has this invoice number.";
    case "ambiguous_invoice":
      return "Several invoices have this invoice number.";
    case "invoice_not_repayable":
      return "The invoice with this number cannot be repaid now (not Funded or Defaulted).";
    default:
      return reason ? `Held: ${reason}.` : "Held for review.";
  }
}

/** Why a payment is held, for the reviewer: the node's own detail when it wrote one, else the reason in words. */
export function holdExplanation(payment: Pick<HeldPayment, "hold_reason" | "hold_detail">): string {
  const detail = payment.hold_detail?.trim();
  return detail ? sentence(detail) : holdReasonText(payment.hold_reason);
}

export type ReleaseCheck = { ok: true; invoiceId: number; note: string } | { ok: false; field: "invoice" | "note"; problem: string };

/**
 * What the operator typed, checked before anything is sent: a whole invoice id, one of the candidates of an
 * ambiguous hold (the node refuses any other), and a note within the node's limit.
 */
export function checkRelease(invoiceText: string, noteText: string, candidates: readonly number[] = []): ReleaseCheck {
  const text = invoiceText.trim().replace(/^#/, "");
  if (!text) return { ok: false, field: "invoice", problem: "Enter the id of the invoice this payment repays." };
  if (!/^\d+$/.test(text)) {
    return { ok: false, field: "invoice", problem: "An invoice id is a whole number, e.g. 12 (the # of the invoice page)." };
  }
  const invoiceId = Number(text);
  if (invoiceId < 1 || invoiceId > MAX_INVOICE_ID) {
    return { ok: false, field: "invoice", problem: `Invoice ids start at 1 and are below ${MAX_INVOICE_ID + 1}.` };
  }
  if (candidates.length > 0 && !candidates.includes(invoiceId)) {
    const list = candidates.map((c) => `#${c}`).join(", ");
    return {
      ok: false,
      field: "invoice",
      problem: `Invoice #${invoiceId} does not have this payment's invoice number; choose one of ${list}.`,
    };
  }
  const note = noteText.trim();
  if (note.length > MAX_NOTE) {
    return { ok: false, field: "note", problem: `Keep the note to ${MAX_NOTE} characters (it has ${note.length}).` };
  }
  return { ok: true, invoiceId, note };
}

/** The request that releases `transactionId` to `invoiceId` (URL-encoded id, bearer token, JSON body). */
export function releaseRequest(
  base: string,
  token: string,
  transactionId: string,
  invoiceId: number,
  note: string,
): { url: string; init: RequestInit } {
  return {
    url: `${base}/oracle/v1/payments/${encodeURIComponent(transactionId)}/release`,
    init: {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ invoiceId, note }),
    },
  };
}

function errorBody(body: unknown): { code: string; message: string; detail?: unknown } | null {
  if (typeof body !== "object" || body === null || !("error" in body)) return null;
  const inner = (body as { error: unknown }).error;
  if (typeof inner !== "object" || inner === null) return null;
  const { code, message, detail } = inner as { code?: unknown; message?: unknown; detail?: unknown };
  return { code: typeof code === "string" ? code : "", message: typeof message === "string" ? message : "", detail };
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/**
 * The node's refusal in words: its own message, plus what to do next for the cases an operator meets (a wrong
 * token, a payment another operator released already, a payment received by another node only).
 */
export function oracleError(status: number, body: unknown): OracleError {
  const error = errorBody(body);
  const said = error?.message ? sentence(error.message) : "";
  const code = error?.code ?? "";
  let message: string;
  switch (true) {
    case status === 401:
      message = "The node wants its operator token: enter it above (HUNDI_ORACLE_ADMIN_TOKEN).";
      break;
    case status === 403:
      message = `${said || "The node refused the operator token."} Check the token entered above.`;
      break;
    case status === 404 && code === "payment_not_found":
      message = `${said} This node never received it: release it on the node that holds it.`;
      break;
    case status === 409 && code === "release_refused":
      message = `${said} Nothing was changed; refresh to see the payment's current state.`;
      break;
    case status === 422: {
      const problems = Array.isArray(error?.detail)
        ? (error.detail as { loc?: unknown[]; msg?: string }[])
            .map((d) => `${(d.loc ?? []).filter((l) => l !== "body").join(".") || "request"}: ${d.msg ?? "invalid"}`)
            .join("; ")
        : "";
      message = `The node refused the request: ${problems || said || "it does not match the schema"}.`.replace(/\.\.$/, ".");
      break;
    }
    case status >= 500:
      message = `${said || `The oracle answered ${status}.`} Nothing was released by this request; try again in a moment.`;
      break;
    default:
      message = said || `The oracle answered ${status}.`;
  }
  return new OracleError(message.trim(), status, code, error?.detail);
}

/**
 * Release a held payment on the node at `base`.
 *
 * Throws OracleError with a readable message; a network failure says the outcome is unknown (the request may have
 * arrived), so the page refreshes the status instead of guessing.
 */
export async function releasePayment(
  base: string,
  token: string,
  transactionId: string,
  invoiceId: number,
  note: string,
): Promise<ReleaseResult> {
  const { url, init } = releaseRequest(base, token, transactionId, invoiceId, note);
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch {
    throw unreachable(base, " (the release may or may not have arrived: the refreshed status below shows whether it did)");
  }
  const body = await readJson(response);
  if (!response.ok) throw oracleError(response.status, body);
  return body as ReleaseResult;
}
