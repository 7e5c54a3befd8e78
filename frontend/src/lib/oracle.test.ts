import { describe, expect, it } from "vitest";
import {
  MAX_NOTE,
  checkRelease,
  holdExplanation,
  holdReasonText,
  oracleBase,
  oracleError,
  parseCandidates,
  releaseRequest,
  suggestedInvoiceId,
} from "./oracle";

describe("what the release form prefills", () => {
  it("reads the candidates of an ambiguous hold, ignoring junk and repeats", () => {
    expect(parseCandidates("4,7, 9")).toEqual([4, 7, 9]);
    expect(parseCandidates("4,,x,4")).toEqual([4]);
    expect(parseCandidates(null)).toEqual([]);
    expect(parseCandidates("")).toEqual([]);
  });

  it("prefills the matched invoice or the only candidate, never a pick among several", () => {
    expect(suggestedInvoiceId({ invoice_id: 12, candidates: null })).toBe(12);
    expect(suggestedInvoiceId({ invoice_id: null, candidates: "5" })).toBe(5);
    expect(suggestedInvoiceId({ invoice_id: null, candidates: "5,6" })).toBeNull();
    expect(suggestedInvoiceId({ invoice_id: null, candidates: null })).toBeNull();
  });

  it("words every hold reason and an unknown one", () => {
    expect(holdReasonText("unknown_invoice")).toMatch(/no invoice/i);
    expect(holdReasonText("ambiguous_invoice")).toMatch(/several invoices/i);
    expect(holdReasonText("invoice_not_repayable")).toMatch(/Funded or Defaulted/);
    expect(holdReasonText("new_reason")).toBe("Held: new_reason.");
    expect(holdReasonText(null)).toBe("Held for review.");
  });

  it("prefers the node's own detail, as a sentence, over the generic reason", () => {
    const detail = "no invoice known to the oracle has the number 'X/1'";
    expect(holdExplanation({ hold_reason: "unknown_invoice", hold_detail: detail })).toBe(
      "No invoice known to the oracle has the number 'X/1'.",
    );
    expect(holdExplanation({ hold_reason: "ambiguous_invoice", hold_detail: "  " })).toMatch(/several invoices/i);
  });
});

describe("checking the release before it is sent", () => {
  it("accepts a whole invoice id (with or without #) and trims the note", () => {
    expect(checkRelease(" 12 ", "  buyer confirmed  ")).toEqual({ ok: true, invoiceId: 12, note: "buyer confirmed" });
    expect(checkRelease("#7", "")).toEqual({ ok: true, invoiceId: 7, note: "" });
  });

  it("refuses empty, non-numeric, zero and unsafe ids with a reason", () => {
    for (const bad of ["", "  ", "1.5", "-3", "12a", "0", "9007199254740992"]) {
      const check = checkRelease(bad, "");
      expect(check.ok, bad).toBe(false);
      if (!check.ok) {
        expect(check.field).toBe("invoice");
        expect(check.problem.length).toBeGreaterThan(10);
      }
    }
  });

  it("refuses an invoice that is not a candidate of an ambiguous hold, naming the candidates", () => {
    const check = checkRelease("3", "", [4, 7]);
    expect(check).toEqual({
      ok: false,
      field: "invoice",
      problem: "Invoice #3 does not have this payment's invoice number; choose one of #4, #7.",
    });
    expect(checkRelease("7", "", [4, 7])).toMatchObject({ ok: true, invoiceId: 7 });
  });

  it("refuses a note longer than the node keeps", () => {
    expect(checkRelease("1", "x".repeat(MAX_NOTE)).ok).toBe(true);
    expect(checkRelease("1", "x".repeat(MAX_NOTE + 1))).toMatchObject({ ok: false, field: "note" });
  });
});

describe("the release request", () => {
  it("posts JSON with the bearer token to the URL-encoded transaction id", () => {
    const { url, init } = releaseRequest("http://127.0.0.1:8100", "t".repeat(32), "UTR 1?#x", 12, "why");
    expect(url).toBe("http://127.0.0.1:8100/oracle/v1/payments/UTR%201%3F%23x/release");
    expect(init.method).toBe("POST");
    expect(init.headers).toEqual({ Authorization: `Bearer ${"t".repeat(32)}`, "Content-Type": "application/json" });
    expect(JSON.parse(String(init.body))).toEqual({ invoiceId: 12, note: "why" });
  });


  it("uses the configured URL without trailing slashes, or the dev proxy", () => {
    expect(oracleBase("http://node:8100//", false)).toBe("http://node:8100");
    expect(oracleBase("http://node:8100", true)).toBe("");
  });
});

describe("the node's refusals in words", () => {
  const body = (code: string, message: string, detail?: unknown) => ({ error: { code, message, detail } });

  it("keeps the node's reason for a refused release and says nothing changed", () => {
    const err = oracleError(409, body("release_refused", "invoice 9 is Repaid; repayments are reported only for Funded or Defaulted invoices"));
    expect(err.message).toBe(
      "Invoice 9 is Repaid; repayments are reported only for Funded or Defaulted invoices. Nothing was changed; refresh to see the payment's current state.",
    );
    expect(err.code).toBe("release_refused");
    expect(err.status).toBe(409);
  });

  it("says where to go for a payment this node never received", () => {
    const err = oracleError(404, body("payment_not_found", "no payment with transactionId 'X' was received"));
    expect(err.message).toMatch(/^No payment with transactionId 'X' was received\. This node never received it/);
  });

  it("points at the token for 401 and 403", () => {
    expect(oracleError(401, body("unauthenticated", "send Authorization")).message).toMatch(/operator token/);
    expect(oracleError(403, body("forbidden", "the bearer token is not this node's operator token")).message).toBe(
      "The bearer token is not this node's operator token. Check the token entered above.",
    );
  });

  it("lists the fields of a 422", () => {
    const detail = [{ loc: ["body", "invoiceId"], msg: "Input should be greater than or equal to 1" }];
    expect(oracleError(422, body("invalid_request", "the request does not match the schema; see detail", detail)).message).toBe(
      "The node refused the request: invoiceId: Input should be greater than or equal to 1.",
    );
  });

  it("copes with a body that is not the node's error shape", () => {
    expect(oracleError(502, "<html>bad gateway</html>").message).toMatch(/answered 502\. Nothing was released/);
    expect(oracleError(418, null).message).toBe("The oracle answered 418.");
  });
});
