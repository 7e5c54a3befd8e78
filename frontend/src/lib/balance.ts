/**
 * The connected wallet's stablecoin balance, read from the chain through the wallet's own provider (the same
 * node the wallet sends transactions to), so an SME sees the advance land and an investor sees a claim arrive
 * without trusting the indexer for their own money.
 *
 * One store for the whole app. It re-reads when the account or the network changes, after every transaction of
 * this app confirms, on every live chain event (debounced: a block can carry many), and when the tab becomes
 * visible again. Only the newest read wins, so a slow answer for a previous account is never shown.
 */
import { useEffect } from "react";
import type { Address } from "viem";
import { stablecoinAbi } from "../generated/abis";
import { currentConfig, useConfig } from "./config";
import { onLiveEvent } from "./events";
import { createStore, useStore } from "./store";
import { onTxConfirmed } from "./tx";
import { clients, walletStore } from "./wallet";

export type BalanceStatus = "none" | "loading" | "ok" | "wrong-network" | "error";

export interface BalanceChange {
  /** New balance minus the previous one, in base units (negative when money left the wallet). */
  delta: bigint;
  /** Date.now() when the change was seen. */
  at: number;
}

export interface BalanceState {
  /** The account the value belongs to (lowercase), or null without a wallet. */
  account: string | null;
  /** Base units of the stablecoin; null until read (or when it cannot be read). */
  value: bigint | null;
  status: BalanceStatus;
  /** Why the last read failed, in words. */
  error: string | null;
  /** The last change seen for this account since it was connected (not the first read). */
  change: BalanceChange | null;
}

export const balanceStore = createStore<BalanceState>({ account: null, value: null, status: "none", error: null, change: null });

/** Milliseconds to wait after a live event before re-reading: one read per burst of events. */
const EVENT_DEBOUNCE_MS = 300;

let generation = 0;

/** The change between two reads of the same account, or null when there is none to show. */
export function balanceChange(previous: bigint | null, next: bigint, now: number): BalanceChange | null {
  if (previous === null || previous === next) return null;
  return { delta: next - previous, at: now };
}

/** Read the balance now. Safe to call often: a newer call makes the answers of older ones be ignored. */
export async function refreshBalance(): Promise<void> {
  const mine = ++generation;
  const { account, chainId } = walletStore.get();
  const config = currentConfig();
  const lower = account?.toLowerCase() ?? null;
  const before = balanceStore.get();
  const sameAccount = before.account === lower;
  if (!account || !lower) {
    balanceStore.set({ account: null, value: null, status: "none", error: null, change: null });
    return;
  }
  if (!config) {
    // The deployment settings are still loading: the config subscription reads again once they arrive.
    balanceStore.set({ account: lower, status: "loading", ...(sameAccount ? {} : { value: null, change: null }) });
    return;
  }
  if (chainId !== config.chainId) {
    balanceStore.set({
      account: lower,
      value: null,
      status: "wrong-network",
      error: "Switch your wallet to the Hundi network to see your balance.",
      change: sameAccount ? before.change : null,
    });
    return;
  }
  const c = clients();
  if (!c) return;
  if (!sameAccount || before.value === null) balanceStore.set({ account: lower, status: "loading", ...(sameAccount ? {} : { value: null, change: null }) });
  try {
    const value = await c.public.readContract({
      address: config.stablecoin.address as Address,
      abi: stablecoinAbi,
      functionName: "balanceOf",
      args: [account],
    });
    if (mine !== generation) return;
    const current = balanceStore.get();
    const previous = current.account === lower ? current.value : null;
    const change = balanceChange(previous, value, Date.now());
    balanceStore.set({ account: lower, value, status: "ok", error: null, change: change ?? (current.account === lower ? current.change : null) });
  } catch (err) {
    if (mine !== generation) return;
    const message = (err as { shortMessage?: string; message?: string }).shortMessage ?? (err as Error).message ?? String(err);
    // Keep the last known value on screen; say it could not be refreshed.
    balanceStore.set({ account: lower, status: "error", error: `Cannot read your balance: ${message}` });
  }
}

let watchers = 0;
let stopWatching: (() => void) | null = null;

/** Start the refresh triggers (first user) or stop them (last user). */
function watch(): () => void {
  watchers += 1;
  if (watchers === 1) {
    let timer: number | undefined;
    let last = { account: walletStore.get().account, chainId: walletStore.get().chainId };
    const unsubscribeWallet = walletStore.subscribe(() => {
      const { account, chainId } = walletStore.get();
      if (account !== last.account || chainId !== last.chainId) {
        last = { account, chainId };
        void refreshBalance();
      }
    });
    const unsubscribeTx = onTxConfirmed(() => void refreshBalance());
    // Live events only while a wallet is connected: a visitor needs no stream for a balance it has not got.
    const unsubscribeLive = onLiveEvent(() => {
      if (!walletStore.get().account) return;
      window.clearTimeout(timer);
      timer = window.setTimeout(() => void refreshBalance(), EVENT_DEBOUNCE_MS);
    });
    const onVisible = (): void => {
      if (document.visibilityState === "visible") void refreshBalance();
    };
    document.addEventListener("visibilitychange", onVisible);
    void refreshBalance();
    stopWatching = () => {
      window.clearTimeout(timer);
      unsubscribeWallet();
      unsubscribeTx();
      unsubscribeLive();
      document.removeEventListener("visibilitychange", onVisible);
    };
  }
  return () => {
    watchers -= 1;
    if (watchers === 0) {
      stopWatching?.();
      stopWatching = null;
    }
  };
}

/** The balance of the connected wallet, kept fresh while any component shows it. */
export function useBalance(): BalanceState {
  const state = useStore(balanceStore);
  const { config } = useConfig();
  useEffect(() => watch(), []);
  // The first read may have happened before the deployment settings arrived.
  useEffect(() => {
    if (config) void refreshBalance();
  }, [config]);
  return state;
}
