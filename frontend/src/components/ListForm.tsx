/**
 * List a verified invoice for funding: the SME picks the discount (or the price), the funding deadline and the
 * minimum ticket, and sees the advance it gets and the return investors are offered before signing.
 */
import { useEffect, useState, type ReactNode } from "react";
import { listStep, readListingFeeBps } from "../lib/actions";
import { useDecimals } from "../lib/config";
import {
  baseUnitsToInput,
  formatDateIST,
  formatDmyIST,
  formatPercent,
  formatRupees,
  impliedRoiPercent,
  istNoonUnix,
  parseDayDmy,
  parseRupees,
} from "../lib/format";
import { runSteps, useTransaction } from "../lib/tx";
import { DateField } from "./DateField";
import { TxStatus } from "./TxStatus";

const DAY = 86_400;

export function ListForm({
  invoiceId,
  faceValue,
  dueDate,
  onListed,
}: {
  invoiceId: number;
  faceValue: string;
  dueDate: number;
  onListed: () => void;
}): ReactNode {
  const decimals = useDecimals();
  const tx = useTransaction();
  const face = BigInt(faceValue);
  const now = Math.floor(Date.now() / 1000);
  const defaultDeadline = Math.min(now + 7 * DAY, dueDate - DAY);
  const [discount, setDiscount] = useState("3");
  const [deadlineText, setDeadlineText] = useState(() => formatDmyIST(Math.max(defaultDeadline, now + DAY)));
  const [minTicketText, setMinTicketText] = useState(() => baseUnitsToInput(face / 100n > 0n ? roundRupees(face / 100n, decimals) : 0n, decimals));
  const [feeBps, setFeeBps] = useState<number | null>(null);

  useEffect(() => {
    tx.reset();
    void readListingFeeBps().then(setFeeBps);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const discountNum = Number(discount);
  const discountOk = discount.trim() !== "" && Number.isFinite(discountNum) && discountNum > 0 && discountNum < 100;
  // price = face * (1 - discount%), in base units, computed in basis points of a basis point to stay exact.
  const price = discountOk ? (face * BigInt(Math.round((100 - discountNum) * 10_000))) / 1_000_000n : null;
  const deadlineParsed = parseDayDmy(deadlineText);
  const deadline = deadlineParsed.day ? istNoonUnix(deadlineParsed.day) : null;
  const minTicket = parseRupees(minTicketText, decimals);
  const days = Math.max(1, Math.ceil((dueDate - now) / DAY));
  const roi = price ? impliedRoiPercent(face, price, days) : null;
  const fee = price !== null && feeBps !== null ? (price * BigInt(feeBps)) / 10_000n : null;

  const problems: Record<string, string> = {};
  if (!discountOk) problems.discount = "Enter a discount between 0 and 100 percent, e.g. 2.5";
  else if (price === null || price <= 0n || price >= face) problems.discount = "The price must be above zero and below the face value.";
  if (deadline === null) problems.deadline = deadlineText.trim() ? (deadlineParsed.problem ?? "Pick the last day investors can fund.") : "Pick the last day investors can fund (DD/MM/YYYY).";
  else if (deadline <= now) problems.deadline = "The funding deadline must be in the future.";
  else if (deadline >= dueDate) problems.deadline = `The funding deadline must be before the due date (${formatDateIST(dueDate)}).`;
  if (minTicket === null) problems.minTicket = "Enter the smallest investment you accept, in rupees.";
  else if (price !== null && minTicket > price) problems.minTicket = "The minimum ticket cannot exceed the price.";
  const valid = Object.keys(problems).length === 0;

  const submit = async (): Promise<void> => {
    if (!valid || price === null || deadline === null || minTicket === null) return;
    const ok = await runSteps([listStep(invoiceId, price, deadline, minTicket, decimals)]);
    if (ok) onListed();
  };

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
      data-testid="list-form"
      aria-label={`List invoice #${invoiceId}`}
    >
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`list-discount-${invoiceId}`}>Discount (%)</label>
          <input
            id={`list-discount-${invoiceId}`}
            inputMode="decimal"
            value={discount}
            onChange={(e) => setDiscount(e.target.value)}
            aria-invalid={problems.discount ? true : undefined}
            data-testid="list-discount"
          />
          <span className={problems.discount ? "problem" : "hint"}>
            {problems.discount ?? `Investors pay ${price !== null ? formatRupees(price, { decimals }) : "—"} for ${formatRupees(face, { decimals })} due on ${formatDateIST(dueDate)}.`}
          </span>
        </div>
        <DateField
          id={`list-deadline-${invoiceId}`}
          testId="list-deadline"
          label={
            <>
              Funding deadline (IST)
            </>
          }
          value={deadlineText}
          onChange={setDeadlineText}
          problem={problems.deadline}
          note="funding closes at noon IST that day"
        />
        <div className="field">
          <label htmlFor={`list-min-${invoiceId}`}>Minimum ticket (₹)</label>
          <input
            id={`list-min-${invoiceId}`}
            inputMode="decimal"
            value={minTicketText}
            onChange={(e) => setMinTicketText(e.target.value)}
            aria-invalid={problems.minTicket ? true : undefined}
            data-testid="list-min-ticket"
          />
          <span className={problems.minTicket ? "problem" : "hint"}>{problems.minTicket ?? "The last investor may always fund the exact remainder."}</span>
        </div>
      </div>
      <dl className="facts small" style={{ marginBottom: "0.75rem" }} data-testid="list-summary">
        <dt>Implied return for investors</dt>
        <dd data-testid="list-roi">
          {roi !== null ? `${formatPercent(roi)} a year` : "—"} <span className="muted">({days} days to maturity)</span>
        </dd>
        <dt>Platform fee</dt>
        <dd>{fee !== null && feeBps !== null ? `${formatRupees(fee, { decimals })} (${formatPercent(feeBps / 100)})` : "Read from the contract when you list"}</dd>
        <dt>Your advance when fully funded</dt>
        <dd data-testid="list-advance">{price !== null ? formatRupees(fee !== null ? price - fee : price, { decimals }) : "—"}</dd>
      </dl>
      <TxStatus state={tx.state} onDismiss={tx.reset} />
      <button type="submit" disabled={!valid || tx.busy} data-testid="list-submit">
        {tx.busy ? "Working…" : "List for funding"}
      </button>
    </form>
  );
}

function roundRupees(units: bigint, decimals: number): bigint {
  const unit = 10n ** BigInt(decimals);
  return units < unit ? units : (units / unit) * unit;
}
