/** The state of the current transaction: wallet prompt, pending, confirmed, or reverted with the decoded reason. */
import type { ReactNode } from "react";
import { formatRevert, type TxState } from "../lib/tx";
import { shortAddress } from "../lib/format";

export function TxStatus({ state, onDismiss }: { state: TxState; onDismiss?: () => void }): ReactNode {
  if (state.phase === "idle") return null;
  const stepText = "steps" in state && state.steps > 1 ? ` (step ${state.step} of ${state.steps})` : "";
  let body: ReactNode;
  switch (state.phase) {
    case "simulating":
      body = (
        <div className="tx-title">
          <span className="spinner" aria-hidden="true" /> Checking {state.label}
          {stepText}…
        </div>
      );
      break;
    case "wallet":
      body = (
        <div className="tx-title">
          <span className="spinner" aria-hidden="true" /> Confirm in your wallet: {state.label}
          {stepText}
        </div>
      );
      break;
    case "pending":
      body = (
        <>
          <div className="tx-title">
            <span className="spinner" aria-hidden="true" /> Pending: {state.label}
            {stepText}
          </div>
          <code title={state.hash}>Transaction {shortAddress(state.hash)}</code>
        </>
      );
      break;
    case "confirmed":
      body = (
        <>
          <div className="tx-title">✓ Confirmed: {state.label}</div>
          <code title={state.hash}>
            Transaction {shortAddress(state.hash)} in block {state.receipt.blockNumber.toString()}
          </code>
        </>
      );
      break;
    case "reverted":
      body = (
        <>
          <div className="tx-title">✕ Reverted: {state.label}</div>
          <p style={{ margin: "0.25rem 0 0" }}>{state.message}</p>
          {state.revert && (
            <code data-testid="tx-error-name" data-error={state.revert.name}>
              {formatRevert(state.revert)}
            </code>
          )}
        </>
      );
      break;
    case "failed":
      body = (
        <>
          <div className="tx-title">✕ Not sent: {state.label}</div>
          <p style={{ margin: "0.25rem 0 0" }}>{state.message}</p>
        </>
      );
      break;
  }
  const done = state.phase === "confirmed" || state.phase === "reverted" || state.phase === "failed";
  return (
    <div className={`tx ${state.phase}`} role="status" aria-live="polite" data-testid="tx-status" data-phase={state.phase}>
      {body}
      {done && onDismiss && (
        <button type="button" className="link small" onClick={onDismiss} style={{ marginTop: "0.35rem" }}>
          Dismiss
        </button>
      )}
    </div>
  );
}
