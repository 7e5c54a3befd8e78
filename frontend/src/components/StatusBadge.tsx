/** The invoice status (InvoiceToken.Status) as a coloured badge with its name in words. */
import type { ReactNode } from "react";

/** IInvoiceToken.Status, in contract order (CONTRACTS.md): the API may send the number or the name. */
export const STATUS_NAMES = ["None", "Minted", "Verified", "Rejected", "Listed", "Funded", "Repaid", "Defaulted", "Cancelled"] as const;

const TONE: Record<string, string> = {
  Minted: "info",
  Verified: "ok",
  Rejected: "bad",
  Listed: "info",
  Funded: "ok",
  Repaid: "ok",
  Defaulted: "bad",
  Cancelled: "warn",
};

const LABEL: Record<string, string> = {
  Minted: "Awaiting verification",
  Verified: "Verified",
  Rejected: "Rejected",
  Listed: "Open for funding",
  Funded: "Funded",
  Repaid: "Repaid",
  Defaulted: "Defaulted",
  Cancelled: "Cancelled",
  None: "Burned",
};

export function statusName(status: string | number | null | undefined): string {
  if (typeof status === "number") return STATUS_NAMES[status] ?? `Status ${status}`;
  return status ?? "None";
}

export function StatusBadge({ status }: { status: string | number | null | undefined }): ReactNode {
  const name = statusName(status);
  return (
    <span className={`badge ${TONE[name] ?? ""}`} data-testid="invoice-status" data-status={name}>
      {LABEL[name] ?? name}
    </span>
  );
}
