/** The oracle's six verification checks, each in words, passed / failed / not yet run. */
import type { ReactNode } from "react";
import type { Schemas } from "../lib/api";

const CHECKS: { key: keyof Omit<Schemas["Checks"], "mask" | "complete">; label: string; help: string }[] = [
  { key: "gstinValid", label: "GSTINs are valid", help: "Seller's and buyer's GSTIN checksums are correct" },
  { key: "sellerActive", label: "Seller is registered and active", help: "The GST registry lists the seller as active" },
  { key: "buyerActive", label: "Buyer is registered and active", help: "The GST registry lists the buyer as active" },
  { key: "fieldsMatch", label: "Document matches the minted fields", help: "OCR of the document agrees with the amount, dates and buyer" },
  { key: "irnMatch", label: "IRN matches the invoice key", help: "The e-invoice reference number is the one on-chain" },
  { key: "digestMatch", label: "Document is unaltered", help: "The stored document's SHA-256 equals the on-chain digest" },
];

export function VerificationChecks({ checks, status }: { checks: Schemas["Checks"] | null | undefined; status: string }): ReactNode {
  const pending = !checks;
  return (
    <ul className="checks" data-testid="verification-checks">
      {CHECKS.map((check) => {
        const state = pending ? "pending" : checks[check.key] ? "pass" : "fail";
        return (
          <li key={check.key} className={state} data-testid={`check-${check.key}`} data-state={state}>
            <span className="mark" aria-hidden="true">
              {state === "pass" ? "✓" : state === "fail" ? "✕" : "…"}
            </span>
            <span>
              {check.label}
              <span className="visually-hidden">: {state === "pass" ? "passed" : state === "fail" ? "failed" : "not checked yet"}</span>
              <br />
              <span className="small muted">{check.help}</span>
            </span>
          </li>
        );
      })}
      {pending && (
        <li className="pending small muted">
          {status === "Minted" ? "The oracle is verifying this invoice; results appear here automatically." : "No verification report yet."}
        </li>
      )}
    </ul>
  );
}
