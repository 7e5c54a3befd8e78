/**
 * "Release to invoice": an operator's decision on one held bank payment. Two steps, because a release reports money
 * as a repayment and cannot be taken back from here: fill in the invoice (prefilled only when the node matched one
 * or there is a single candidate) and a note, then confirm after reading that every co-signing node must be told
 * the same decision. The outcome goes up to the page (the payment leaves the held list once the status refreshes).
 */
import { useState, type ReactNode } from "react";
import { Money } from "./Money";
import {
  MAX_NOTE,
  OracleError,
  checkRelease,
  parseCandidates,
  releasePayment,
  suggestedInvoiceId,
  type HeldPayment,
  type ReleaseResult,
} from "../lib/oracle";

export type ReleaseOutcome =
  | { ok: true; transactionId: string; result: ReleaseResult }
  | { ok: false; transactionId: string; message: string };

/** editing -> confirming -> sending -> done (released; the page refreshes the status) or back to editing. */
type Phase = "editing" | "confirming" | "sending" | "done";

export function ReleaseForm({
  payment,
  base,
  token,
  threshold,
  error,
  onDone,
}: {
  payment: HeldPayment;
  base: string;
  token: string;
  /** "2 of 3 signers", when the status says so. */
  threshold: string | null;
  /** The last refusal for this payment, shown until the next try. */
  error: string | null;
  onDone: (outcome: ReleaseOutcome) => void;
}): ReactNode {
  const candidates = parseCandidates(payment.candidates);
  const suggested = suggestedInvoiceId(payment);
  const [invoice, setInvoice] = useState(suggested != null ? String(suggested) : "");
  const [note, setNote] = useState("");
  const [phase, setPhase] = useState<Phase>("editing");
  const [problem, setProblem] = useState<{ field: "invoice" | "note"; text: string } | null>(null);
  const check = checkRelease(invoice, note, candidates);
  const key = payment.transaction_id.replace(/[^A-Za-z0-9_-]/g, "_");
  const invoiceField = `release-invoice-${key}`;
  const noteField = `release-note-${key}`;

  const review = (): void => {
    if (!check.ok) {
      setProblem({ field: check.field, text: check.problem });
      return;
    }
    setProblem(null);
    setPhase("confirming");
  };

  const send = async (): Promise<void> => {
    if (!check.ok) return;
    setPhase("sending");
    try {
      const result = await releasePayment(base, token, payment.transaction_id, check.invoiceId, check.note);
      setPhase("done");
      onDone({ ok: true, transactionId: payment.transaction_id, result });
    } catch (err) {
      const message = err instanceof OracleError || err instanceof Error ? err.message : String(err);
      setPhase("editing");
      onDone({ ok: false, transactionId: payment.transaction_id, message });
    }
  };

  return (
    <form
      className="release-form"
      data-testid="release-form"
      data-state={phase}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (phase === "editing") review();
        else if (phase === "confirming") void send();
      }}
    >
      <h4>Release to invoice</h4>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={invoiceField}>Invoice id</label>
          <input
            id={invoiceField}
            inputMode="numeric"
            autoComplete="off"
            placeholder={candidates.length > 1 ? candidates.map((c) => `#${c}`).join(" or ") : "e.g. 12"}
            value={invoice}
            disabled={phase !== "editing"}
            aria-invalid={problem?.field === "invoice"}
            onChange={(e) => {
              setInvoice(e.target.value);
              setProblem(null);
            }}
            data-testid="release-invoice-id"
          />
          {problem?.field === "invoice" ? (
            <span className="problem" data-testid="release-problem">
              {problem.text}
            </span>
          ) : (
            <span className="hint">
              {suggested != null
                ? candidates.length === 1
                  ? "The only invoice with this number."
                  : "The invoice the node matched."
                : candidates.length > 1
                  ? `One of ${candidates.map((c) => `#${c}`).join(", ")}.`
                  : "The invoice this payment repays, from the bank statement or the buyer."}
            </span>
          )}
        </div>
        <div className="field">
          <label htmlFor={noteField}>Note</label>
          <input
            id={noteField}
            autoComplete="off"
            maxLength={MAX_NOTE}
            placeholder="why (kept with the payment)"
            value={note}
            disabled={phase !== "editing"}
            aria-invalid={problem?.field === "note"}
            onChange={(e) => {
              setNote(e.target.value);
              setProblem(null);
            }}
            data-testid="release-note"
          />
          {problem?.field === "note" ? (
            <span className="problem" data-testid="release-problem">
              {problem.text}
            </span>
          ) : (
            <span className="hint">Optional, up to {MAX_NOTE} characters.</span>
          )}
        </div>
      </div>
      {error && phase === "editing" && (
        <div className="notice bad" role="alert" data-testid="release-error">
          <div>
            <strong>Not released</strong>
            <p>{error}</p>
          </div>
        </div>
      )}
      {phase === "done" ? (
        <p className="small muted" role="status">
          Released; refreshing the status…
        </p>
      ) : phase === "editing" ? (
        <button type="submit" className="secondary" data-testid="release-submit">
          Release…
        </button>
      ) : (
        <div className="notice warn" data-testid="release-confirm">
          <div>
            <strong>
              Report <Money value={payment.amount_units} /> as a repayment of invoice #{check.ok ? check.invoiceId : "?"}?
            </strong>
            <p className="small">
              This node then signs a repayment report for it; that cannot be undone from here. A repayment settles
              on-chain only when enough signer nodes report it{threshold ? ` (${threshold})` : ""}: tell the operator
              of every node that should co-sign to release bank payment <code>{payment.transaction_id}</code> to the
              same invoice.
            </p>
            <div className="dialog-actions" style={{ justifyContent: "flex-start" }}>
              <button type="submit" disabled={phase === "sending"} data-testid="release-confirm-submit">
                {phase === "sending" ? "Releasing…" : "Confirm release"}
              </button>
              <button
                type="button"
                className="secondary"
                disabled={phase === "sending"}
                onClick={() => setPhase("editing")}
                data-testid="release-cancel"
              >
                Back
              </button>
            </div>
          </div>
        </div>
      )}
    </form>
  );
}
