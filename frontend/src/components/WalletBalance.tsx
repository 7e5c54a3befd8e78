/**
 * The connected wallet's stablecoin balance in rupees (Indian grouping), in the header and as a stat on the SME
 * and portfolio pages. The last change seen is shown next to it ("+₹2,28,920.00"), so an SME watching the page
 * sees the advance arrive the moment the listing is funded.
 */
import type { ReactNode } from "react";
import { useBalance, type BalanceState } from "../lib/balance";
import { useConfig, useDecimals } from "../lib/config";
import { formatRupees } from "../lib/format";

/** How recent a change must be to be called "just now" rather than "since you connected". */
const RECENT_MS = 5 * 60_000;

function attributes(state: BalanceState, testId: string): Record<string, string> {
  return {
    "data-testid": testId,
    "data-balance": state.value?.toString() ?? "",
    "data-state": state.status,
  };
}

/** The small badge in the header's wallet area. */
export function HeaderBalance(): ReactNode {
  const state = useBalance();
  const decimals = useDecimals();
  const symbol = useConfig().config?.stablecoin.symbol ?? "stablecoin";
  const text = state.value !== null ? formatRupees(state.value, { decimals }) : state.status === "wrong-network" ? "—" : "…";
  const title =
    state.value !== null
      ? `Your ${symbol} balance: ${formatRupees(state.value, { decimals, fractionDigits: decimals })}${state.error ? ` (${state.error})` : ""}`
      : (state.error ?? `Reading your ${symbol} balance…`);
  return (
    <span className="badge balance num" title={title} aria-label={`Wallet balance ${text}`} {...attributes(state, "wallet-balance")}>
      {text}
    </span>
  );
}

/** A stat card: "Wallet balance ₹2,28,920.00", with the last change and a note when it cannot be read. */
export function BalanceStat({ testId, label = "Wallet balance" }: { testId: string; label?: string }): ReactNode {
  const state = useBalance();
  const decimals = useDecimals();
  const symbol = useConfig().config?.stablecoin.symbol ?? "stablecoin";
  const change = state.change;
  return (
    <div className="stat" {...attributes(state, testId)}>
      <div className="label">{label}</div>
      <div className="value">
        {state.value !== null ? (
          <span className="num" title={formatRupees(state.value, { decimals, fractionDigits: decimals })}>
            {formatRupees(state.value, { decimals })}
          </span>
        ) : (
          <span className="muted">{state.status === "wrong-network" ? "—" : "…"}</span>
        )}
      </div>
      {change && (
        <div className={`balance-change${change.delta < 0n ? " down" : ""}`} data-testid="balance-change" data-delta={change.delta.toString()}>
          {change.delta > 0n ? "+" : ""}
          {formatRupees(change.delta, { decimals })}{" "}
          <span className="muted">{Date.now() - change.at < RECENT_MS ? "just now" : "since you connected"}</span>
        </div>
      )}
      {!change && <div className="small muted">{state.error ?? `${symbol} in your wallet`}</div>}
      {change && state.error && <div className="small muted">{state.error}</div>}
    </div>
  );
}
