/**
 * Transactions, one way for every page: simulate, ask the wallet, wait for the receipt, and on a revert show the
 * contract's custom error by name with its arguments (decoded with viem's decodeErrorResult against the ABIs
 * generated from the build). The state lives in a store so a page and its dialog see the same thing.
 */
import { useCallback, useMemo } from "react";
import {
  BaseError,
  decodeErrorResult,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { allErrorsAbi } from "../generated/abis";
import { createStore, useStore, type Store } from "./store";
import { clients, walletErrorMessage } from "./wallet";

export interface TxRequest {
  /** What the step does, in words: "Approve ₹50,000.00", "Fund invoice #3". */
  label: string;
  to: Address;
  data: Hex;
  value?: bigint;
}

export interface DecodedRevert {
  name: string;
  args: readonly unknown[];
}

export type TxState =
  | { phase: "idle" }
  | { phase: "simulating"; label: string; step: number; steps: number }
  | { phase: "wallet"; label: string; step: number; steps: number }
  | { phase: "pending"; label: string; step: number; steps: number; hash: Hex }
  | { phase: "confirmed"; label: string; hash: Hex; receipt: TransactionReceipt }
  | { phase: "reverted"; label: string; hash?: Hex; revert: DecodedRevert | null; message: string }
  | { phase: "failed"; label: string; message: string };

const ERROR_SELECTOR_STRING = "0x08c379a0"; // Error(string)
const PANIC_SELECTOR = "0x4e487b71"; // Panic(uint256)

/** Find revert data (0x + selector + args) anywhere in a viem error chain or a raw EIP-1193 error. */
export function findRevertData(err: unknown): Hex | null {
  const candidates: unknown[] = [];
  const push = (e: unknown): void => {
    if (typeof e !== "object" || e === null) return;
    const rec = e as { data?: unknown };
    candidates.push(rec.data);
    if (typeof rec.data === "object" && rec.data !== null) {
      candidates.push((rec.data as { data?: unknown }).data);
      candidates.push((rec.data as { originalError?: { data?: unknown } }).originalError?.data);
    }
  };
  if (err instanceof BaseError) {
    err.walk((e) => {
      push(e);
      return false;
    });
  }
  let cursor: unknown = err;
  for (let depth = 0; depth < 8 && typeof cursor === "object" && cursor !== null; depth += 1) {
    push(cursor);
    cursor = (cursor as { cause?: unknown }).cause;
  }
  for (const candidate of candidates) {
    if (typeof candidate === "string" && /^0x[0-9a-fA-F]{8}/.test(candidate)) return candidate as Hex;
  }
  return null;
}

/** Decode revert data into the custom error's name and arguments, or Error(string) / Panic(uint256). */
export function decodeRevert(data: Hex): DecodedRevert | null {
  try {
    const decoded = decodeErrorResult({ abi: allErrorsAbi, data });
    return { name: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    // Not one of ours: try the two built-in Solidity errors.
  }
  if (data.startsWith(ERROR_SELECTOR_STRING) || data.startsWith(PANIC_SELECTOR)) {
    try {
      const decoded = decodeErrorResult({ data });
      return { name: decoded.errorName, args: decoded.args ?? [] };
    } catch {
      return null;
    }
  }
  return null;
}

/** "AmountBelowMinTicket(amount: 1000000, minTicket: 5000000)" */
export function formatRevert(revert: DecodedRevert): string {
  const abiItem = allErrorsAbi.find((item) => item.type === "error" && item.name === revert.name);
  const names = abiItem && abiItem.type === "error" ? abiItem.inputs.map((i) => i.name ?? "") : [];
  const args = revert.args.map((value, i) => {
    const text = typeof value === "bigint" ? value.toString() : String(value);
    return names[i] ? `${names[i]}: ${text}` : text;
  });
  return `${revert.name}(${args.join(", ")})`;
}

const REVERT_HINTS: Record<string, string> = {
  NotKycApproved: "This account has no KYC approval for this action. Ask the platform's KYC officer.",
  AmountBelowMinTicket: "The amount is below the listing's minimum ticket.",
  AmountExceedsRemaining: "The amount is more than what is left to fund.",
  FundingClosed: "The funding deadline has passed.",
  ListingNotOpen: "This listing is not open for funding.",
  DuplicateInvoice: "This invoice is already on Hundi; the same invoice can never be financed twice.",
  DueDateNotInFuture: "The due date must be in the future.",
  NothingToClaim: "There is nothing to claim for this invoice yet.",
  InvalidPrice: "The price must be above zero and below the face value.",
  InvalidFundingDeadline: "The funding deadline must be in the future and before the due date.",
  InvoiceNotVerified: "The invoice must be verified before it can be listed.",
  NotSeller: "Only the invoice's seller can do this.",
  ERC20InsufficientAllowance: "The escrow's allowance is too low: approve the amount first.",
  ERC20InsufficientBalance: "Your stablecoin balance is too low for this amount.",
  EnforcedPause: "The platform is paused for maintenance. Try again later.",
};

export function revertHint(name: string): string | undefined {
  return REVERT_HINTS[name];
}

type ConfirmedListener = (receipt: TransactionReceipt) => void;
const confirmedListeners = new Set<ConfirmedListener>();

/**
 * Call `listener` with the receipt of every transaction of this app that confirms (e.g. to re-read the wallet's
 * balance); returns the unsubscribe function.
 */
export function onTxConfirmed(listener: ConfirmedListener): () => void {
  confirmedListeners.add(listener);
  return () => confirmedListeners.delete(listener);
}

const txStore: Store<{ tx: TxState }> = createStore<{ tx: TxState }>({ tx: { phase: "idle" } });

/** Read the transaction state; `run` sends steps in order and stops at the first failure. */
export function useTransaction(): {
  state: TxState;
  busy: boolean;
  run: (steps: TxRequest[]) => Promise<TransactionReceipt[] | null>;
  reset: () => void;
} {
  const state = useStore(txStore).tx;
  const run = useCallback((steps: TxRequest[]) => runSteps(steps), []);
  const reset = useCallback(() => setTx({ phase: "idle" }), []);
  const busy = state.phase === "simulating" || state.phase === "wallet" || state.phase === "pending";
  return useMemo(() => ({ state, busy, run, reset }), [state, busy, run, reset]);
}

function setTx(tx: TxState): void {
  txStore.set({ tx });
}

/** Send each step in order; their receipts when every one confirmed, null at the first failure. */
export async function runSteps(steps: TxRequest[]): Promise<TransactionReceipt[] | null> {
  const c = clients();
  if (!c) {
    setTx({ phase: "failed", label: steps[0]?.label ?? "Transaction", message: "Connect a wallet first." });
    return null;
  }
  const receipts: TransactionReceipt[] = [];
  for (const [index, step] of steps.entries()) {
    const position = { step: index + 1, steps: steps.length };
    setTx({ phase: "simulating", label: step.label, ...position });
    // Simulate first: a call that would revert is explained before the wallet asks for a signature.
    try {
      await c.public.call({ account: c.account, to: step.to, data: step.data, value: step.value });
    } catch (err) {
      const data = findRevertData(err);
      if (data || isRevertError(err)) {
        const revert = data ? decodeRevert(data) : null;
        setTx({ phase: "reverted", label: step.label, revert, message: revertMessage(revert, err) });
        return null;
      }
      // Could not simulate (a wallet without eth_call?): let the wallet and the chain decide.
    }
    setTx({ phase: "wallet", label: step.label, ...position });
    let hash: Hex;
    try {
      hash = await c.wallet.sendTransaction({
        account: c.account,
        chain: null,
        to: step.to,
        data: step.data,
        value: step.value,
      });
    } catch (err) {
      const data = findRevertData(err);
      if (data) {
        const revert = decodeRevert(data);
        setTx({ phase: "reverted", label: step.label, revert, message: revertMessage(revert, err) });
      } else {
        setTx({ phase: "failed", label: step.label, message: walletErrorMessage(err, "send the transaction") });
      }
      return null;
    }
    setTx({ phase: "pending", label: step.label, hash, ...position });
    let receipt: TransactionReceipt;
    try {
      receipt = await c.public.waitForTransactionReceipt({ hash, pollingInterval: 1_000, timeout: 180_000 });
    } catch (err) {
      setTx({
        phase: "failed",
        label: step.label,
        message: `No receipt for ${hash} yet (${(err as Error).message}). Check your wallet's activity before retrying.`,
      });
      return null;
    }
    if (receipt.status !== "success") {
      // Replay the call at the block it failed in to read the revert reason the receipt does not carry.
      let revert: DecodedRevert | null = null;
      try {
        await c.public.call({
          account: c.account,
          to: step.to,
          data: step.data,
          value: step.value,
          blockNumber: receipt.blockNumber,
        });
      } catch (err) {
        const data = findRevertData(err);
        revert = data ? decodeRevert(data) : null;
      }
      setTx({ phase: "reverted", label: step.label, hash, revert, message: revertMessage(revert, null) });
      return null;
    }
    setTx({ phase: "confirmed", label: step.label, hash, receipt });
    receipts.push(receipt);
    for (const listener of confirmedListeners) listener(receipt);
  }
  return receipts;
}

function isRevertError(err: unknown): boolean {
  if (!(err instanceof BaseError)) return false;
  return Boolean(err.walk((e) => (e as Error).name === "ExecutionRevertedError" || (e as Error).name === "ContractFunctionRevertedError"));
}

function revertMessage(revert: DecodedRevert | null, err: unknown): string {
  if (revert) return revertHint(revert.name) ?? "The contract refused this transaction.";
  const short = (err as { shortMessage?: string } | null)?.shortMessage;
  return short ? `The contract refused this transaction: ${short}` : "The contract refused this transaction.";
}
