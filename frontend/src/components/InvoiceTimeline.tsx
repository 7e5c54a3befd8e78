/** Every contract event about an invoice, oldest first, with its time in IST and transaction hash. */
import type { ReactNode } from "react";
import type { Schemas } from "../lib/api";
import { formatDateTimeIST, formatRupees, shortAddress } from "../lib/format";
import { useDecimals } from "../lib/config";

const TITLES: Record<string, string> = {
  InvoiceMinted: "Invoice minted",
  InvoiceVerified: "Verified by the oracle",
  InvoiceRejected: "Rejected by the oracle",
  InvoiceStatusChanged: "Status changed",
  InvoiceListed: "Listed for funding",
  Invested: "Investment received",
  InvoiceFunded: "Fully funded: advance paid to the seller",
  ListingCancelled: "Listing cancelled",
  Refunded: "Investor refunded",
  RepaymentReceived: "Repayment received",
  InvoiceRepaid: "Repaid in full",
  InvoiceDefaulted: "Marked defaulted",
  Claimed: "Investor claimed",
  YieldFeeCharged: "Platform fee on yield",
  SurplusPaid: "Surplus returned to the seller",
  ReportAccepted: "Oracle report accepted",
  Transfer: "Invoice token moved",
  TransferSingle: "Investor shares moved",
  TransferBatch: "Investor shares moved",
};

const AMOUNT_ARGS = ["amount", "price", "faceValue", "raised", "fee", "totalRepaid", "outstanding", "minTicket"];
const STATUS = ["None", "Minted", "Verified", "Rejected", "Listed", "Funded", "Repaid", "Defaulted", "Cancelled"];

function detail(entry: Schemas["TimelineEntry"], decimals: number): string {
  const args = entry.args as Record<string, unknown>;
  if (entry.event === "InvoiceStatusChanged") {
    const from = STATUS[Number(args.from)] ?? String(args.from);
    const to = STATUS[Number(args.to)] ?? String(args.to);
    return `${from} → ${to}`;
  }
  const parts: string[] = [];
  for (const key of AMOUNT_ARGS) {
    const value = args[key];
    if (typeof value === "number" || (typeof value === "string" && /^\d+$/.test(value))) {
      try {
        parts.push(`${key === "amount" ? "" : `${key} `}${formatRupees(BigInt(value), { decimals })}`);
      } catch {
        // not an amount after all
      }
    }
  }
  if (entry.event === "Transfer" || entry.event === "TransferSingle") {
    const from = String(args.from ?? "");
    const to = String(args.to ?? "");
    const zero = /^0x0+$/;
    if (zero.test(from)) return `to ${shortAddress(to)} (issued)`;
    if (zero.test(to)) return `from ${shortAddress(from)} (burned)`;
    return `${shortAddress(from)} → ${shortAddress(to)}`;
  }
  for (const key of ["investor", "seller", "payer"]) {
    if (typeof args[key] === "string") parts.push(`${key} ${shortAddress(args[key] as string)}`);
  }
  if (typeof args.riskScore === "number") parts.push(`risk score ${args.riskScore}`);
  return parts.join(" · ");
}

export function InvoiceTimeline({ entries }: { entries: Schemas["TimelineEntry"][] }): ReactNode {
  const decimals = useDecimals();
  if (entries.length === 0) return <p className="muted">No events yet.</p>;
  return (
    <ol className="timeline" data-testid="invoice-timeline">
      {entries.map((entry) => (
        <li key={entry.id} data-testid="timeline-entry" data-event={entry.event}>
          <div>
            <strong>{TITLES[entry.event] ?? entry.event}</strong>
          </div>
          {detail(entry, decimals) && <div className="small">{detail(entry, decimals)}</div>}
          <div className="when">
            {formatDateTimeIST(entry.time)} · block {entry.block} ·{" "}
            <code title={entry.txHash}>tx {shortAddress(entry.txHash)}</code>
          </div>
        </li>
      ))}
    </ol>
  );
}
