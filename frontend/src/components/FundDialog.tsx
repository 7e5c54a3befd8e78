/** Invest in a listing: choose the amount and the method (approve + fund, or a one-transaction permit). */
import { useEffect, useRef, useState, type ReactNode } from "react";
import { describeError } from "../lib/api";
import { useDecimals } from "../lib/config";
import { fundInvoice, type FundMode } from "../lib/fund";
import { baseUnitsToInput, formatRupees, parseRupees } from "../lib/format";
import { useTransaction } from "../lib/tx";
import { ROLE_INVESTOR } from "../lib/wallet";
import { Gate } from "./Gate";
import { Money } from "./Money";
import { TxStatus } from "./TxStatus";

export interface FundTarget {
  id: number;
  amount: string; // face value
  discountedAmount: string; // price
  remaining: string;
  minTicket: string;
  expectedROI?: number | null;
  daysToMaturity?: number;
}

export function FundDialog({ target, onClose, onFunded }: { target: FundTarget; onClose: () => void; onFunded: () => void }): ReactNode {
  const ref = useRef<HTMLDialogElement>(null);
  const decimals = useDecimals();
  const tx = useTransaction();
  const remaining = BigInt(target.remaining);
  const minTicket = BigInt(target.minTicket);
  const [text, setText] = useState(() => baseUnitsToInput(minTicket > 0n && minTicket < remaining ? minTicket : remaining, decimals));
  const [mode, setMode] = useState<FundMode>("approve");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  useEffect(() => {
    tx.reset();
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const amount = parseRupees(text, decimals);
  let problem: string | null = null;
  if (amount === null) problem = "Enter an amount in rupees, e.g. 25,000 or 25000.50";
  else if (amount === 0n) problem = "The amount must be above zero.";
  else if (amount > remaining) problem = `At most ${formatRupees(remaining, { decimals })} is left to fund.`;
  else if (amount < minTicket && amount !== remaining)
    problem = `The minimum ticket is ${formatRupees(minTicket, { decimals })} (or exactly the remaining amount).`;

  const face = BigInt(target.amount);
  const price = BigInt(target.discountedAmount);
  const payout = amount !== null && price > 0n ? (amount * face) / price : null;

  const submit = async (): Promise<void> => {
    if (amount === null || problem) return;
    setError(null);
    try {
      const ok = await fundInvoice(target.id, amount, mode, decimals);
      if (ok) {
        setDone(true);
        onFunded();
      }
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <dialog ref={ref} onClose={onClose} aria-labelledby="fund-title" data-testid="fund-dialog">
      <div className="dialog-body">
        <div className="dialog-head">
          <h2 id="fund-title">Fund invoice #{target.id}</h2>
          <button type="button" className="secondary small" onClick={onClose} disabled={tx.busy}>
            Close
          </button>
        </div>
        <dl className="facts small" style={{ marginBottom: "0.75rem" }}>
          <dt>Left to fund</dt>
          <dd>
            <Money value={target.remaining} />
          </dd>
          <dt>Minimum ticket</dt>
          <dd>
            <Money value={target.minTicket} />
          </dd>
          {target.expectedROI != null && (
            <>
              <dt>Expected return</dt>
              <dd>
                {target.expectedROI.toFixed(2)}% a year{target.daysToMaturity != null && `, ${target.daysToMaturity} days to maturity`}
              </dd>
            </>
          )}
        </dl>
        <Gate role={ROLE_INVESTOR} roleName="investor" action="fund invoices">
          {done ? (
            <div className="notice ok" data-testid="fund-success">
              <p>Your investment is confirmed. You hold shares of invoice #{target.id}; see them in your portfolio.</p>
            </div>
          ) : (
            <form
              onSubmit={(event) => {
                event.preventDefault();
                void submit();
              }}
            >
              <div className="field">
                <label htmlFor="fund-amount">Amount (₹)</label>
                <input
                  id="fund-amount"
                  inputMode="decimal"
                  autoComplete="off"
                  value={text}
                  onChange={(e) => setText(e.target.value)}
                  aria-invalid={problem ? true : undefined}
                  aria-describedby="fund-amount-hint"
                  data-testid="fund-amount"
                />
                <span id="fund-amount-hint" className={problem ? "problem" : "hint"}>
                  {problem ??
                    (payout !== null
                      ? `At maturity you receive about ${formatRupees(payout, { decimals })} if the buyer pays in full.`
                      : "")}
                </span>
              </div>
              <fieldset className="field radio-list" style={{ border: "none", padding: 0, margin: "0 0 0.75rem" }}>
                <legend className="small" style={{ fontWeight: 550, marginBottom: "0.25rem" }}>
                  How to pay
                </legend>
                <label className="toggle small">
                  <input
                    type="radio"
                    name="fund-mode"
                    value="approve"
                    checked={mode === "approve"}
                    onChange={() => setMode("approve")}
                    data-testid="fund-mode-approve"
                  />
                  Approve, then fund (two transactions; works with every wallet)
                </label>
                <label className="toggle small">
                  <input
                    type="radio"
                    name="fund-mode"
                    value="permit"
                    checked={mode === "permit"}
                    onChange={() => setMode("permit")}
                    data-testid="fund-mode-permit"
                  />
                  Sign a permit, then fund (one transaction)
                </label>
              </fieldset>
              {error && (
                <div className="notice bad" role="alert" data-testid="fund-error">
                  <p>{error}</p>
                </div>
              )}
              <TxStatus state={tx.state} />
              <div className="dialog-actions">
                <button type="submit" disabled={Boolean(problem) || tx.busy} data-testid="fund-submit">
                  {tx.busy ? "Working…" : amount !== null && !problem ? `Fund ${formatRupees(amount, { decimals })}` : "Fund"}
                </button>
              </div>
            </form>
          )}
        </Gate>
      </div>
    </dialog>
  );
}
