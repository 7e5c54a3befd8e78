/**
 * Wallet and session state, in one store (pages never talk to window.ethereum themselves).
 *
 * - Wallets are discovered with EIP-6963 (each extension announces itself), falling back to the legacy injected
 *   `window.ethereum` (EIP-1193) when none announces.
 * - Sign-in is SIWE (EIP-4361) against the API: the server hands out the nonce and the exact domain, URI, chain
 *   and statement the message must carry; the JWT it returns goes on every API call as a bearer token.
 * - The session is remembered per address in localStorage until it expires, so a reload keeps you signed in.
 */
import {
  createPublicClient,
  createWalletClient,
  custom,
  getAddress,
  stringToHex,
  type Address,
  type EIP1193Provider,
  type PublicClient,
  type WalletClient,
} from "viem";
import { createSiweMessage } from "viem/siwe";
import { api, setBearer, setUnauthorizedHandler, unwrap } from "./api";
import { createStore, useStore } from "./store";

export const ROLE_SME = 1;
export const ROLE_INVESTOR = 2;

export interface WalletInfo {
  uuid: string;
  name: string;
  icon: string;
  rdns: string;
}

export interface DiscoveredWallet {
  info: WalletInfo;
  provider: EIP1193Provider;
}

export interface Session {
  token: string;
  address: string; // lowercase, as the API speaks it
  roles: number;
  expiresAt: number; // unix seconds
}

export interface WalletState {
  wallets: DiscoveredWallet[];
  active: DiscoveredWallet | null;
  account: Address | null;
  chainId: number | null;
  connecting: boolean;
  signingIn: boolean;
  session: Session | null;
  error: string | null;
}

export const walletStore = createStore<WalletState>({
  wallets: [],
  active: null,
  account: null,
  chainId: null,
  connecting: false,
  signingIn: false,
  session: null,
  error: null,
});

export function useWallet(): WalletState {
  return useStore(walletStore);
}

const LAST_WALLET_KEY = "hundi.wallet";
const sessionKey = (address: string): string => `hundi.session.${address.toLowerCase()}`;

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // private modes may refuse storage; sessions then last until reload
  }
}

function loadSession(address: string): Session | null {
  const raw = storage()?.getItem(sessionKey(address));
  if (!raw) return null;
  try {
    const session = JSON.parse(raw) as Session;
    if (session.expiresAt * 1000 <= Date.now() + 30_000 || session.address !== address.toLowerCase()) {
      storage()?.removeItem(sessionKey(address));
      return null;
    }
    return session;
  } catch {
    storage()?.removeItem(sessionKey(address));
    return null;
  }
}

function applySession(session: Session | null): void {
  setBearer(session?.token ?? null);
  walletStore.set({ session });
}

// --- discovery -----------------------------------------------------------------------------------------------

interface AnnounceEvent extends Event {
  detail: DiscoveredWallet;
}

let discoveryStarted = false;

/** Listen for EIP-6963 announcements and ask wallets to announce; adds the legacy injected provider as a fallback. */
export function startDiscovery(): void {
  if (discoveryStarted || typeof window === "undefined") return;
  discoveryStarted = true;
  window.addEventListener("eip6963:announceProvider", (event) => {
    const detail = (event as AnnounceEvent).detail;
    if (!detail?.info?.uuid || !detail.provider) return;
    walletStore.set((s) => ({
      wallets: [...s.wallets.filter((w) => w.info.uuid !== detail.info.uuid && w.info.uuid !== "injected"), detail],
    }));
    void maybeReconnect();
  });
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  // Wallets that predate EIP-6963 only inject window.ethereum; give announcements a moment first.
  window.setTimeout(() => {
    const injected = (window as unknown as { ethereum?: EIP1193Provider }).ethereum;
    if (injected && walletStore.get().wallets.length === 0) {
      walletStore.set({
        wallets: [{ info: { uuid: "injected", name: "Browser wallet", icon: "", rdns: "injected" }, provider: injected }],
      });
    }
    void maybeReconnect();
  }, 150);
}

let reconnectTried = false;

/** Reconnect silently (eth_accounts, no prompt) to the wallet used last time, if it is still authorised. */
async function maybeReconnect(): Promise<void> {
  const state = walletStore.get();
  if (reconnectTried || state.active || state.connecting) return;
  const last = storage()?.getItem(LAST_WALLET_KEY);
  if (!last) return;
  const wallet = state.wallets.find((w) => w.info.rdns === last);
  if (!wallet) return;
  reconnectTried = true;
  try {
    const accounts = (await wallet.provider.request({ method: "eth_accounts" })) as string[];
    if (accounts.length > 0) await attach(wallet, accounts);
  } catch {
    // A wallet that refuses eth_accounts is treated as disconnected; the user can connect by hand.
  }
}

// --- connection ----------------------------------------------------------------------------------------------

const listeners = new WeakMap<EIP1193Provider, () => void>();

async function attach(wallet: DiscoveredWallet, accounts: readonly string[]): Promise<void> {
  const provider = wallet.provider;
  const chainHex = (await provider.request({ method: "eth_chainId" })) as string;
  const account = accounts[0] ? getAddress(accounts[0]) : null;
  walletStore.set({ active: wallet, account, chainId: Number.parseInt(chainHex, 16), error: null });
  applySession(account ? loadSession(account) : null);
  storage()?.setItem(LAST_WALLET_KEY, wallet.info.rdns);

  if (!listeners.has(provider)) {
    const onAccounts = (accs: unknown): void => {
      const list = Array.isArray(accs) ? (accs as string[]) : [];
      const next = list[0] ? getAddress(list[0]) : null;
      walletStore.set({ account: next });
      applySession(next ? loadSession(next) : null);
      if (!next) walletStore.set({ active: null });
    };
    const onChain = (hex: unknown): void => {
      walletStore.set({ chainId: typeof hex === "string" ? Number.parseInt(hex, 16) : null });
    };
    const onDisconnect = (): void => {
      walletStore.set({ active: null, account: null, chainId: null });
      applySession(null);
    };
    provider.on("accountsChanged", onAccounts);
    provider.on("chainChanged", onChain);
    provider.on("disconnect", onDisconnect);
    listeners.set(provider, () => {
      provider.removeListener("accountsChanged", onAccounts);
      provider.removeListener("chainChanged", onChain);
      provider.removeListener("disconnect", onDisconnect);
    });
  }
}

/** Ask the wallet for an account (the wallet shows its prompt). */
export async function connect(wallet: DiscoveredWallet): Promise<void> {
  walletStore.set({ connecting: true, error: null });
  try {
    const accounts = (await wallet.provider.request({ method: "eth_requestAccounts" })) as string[];
    if (accounts.length === 0) throw new Error("The wallet returned no account. Unlock it and try again.");
    await attach(wallet, accounts);
  } catch (err) {
    walletStore.set({ error: walletErrorMessage(err, "connect") });
  } finally {
    walletStore.set({ connecting: false });
  }
}

/** Forget the wallet in this app (wallets have no standard "disconnect" call; the site permission stays). */
export function disconnect(): void {
  const active = walletStore.get().active;
  if (active) listeners.get(active.provider)?.();
  if (active) listeners.delete(active.provider);
  storage()?.removeItem(LAST_WALLET_KEY);
  walletStore.set({ active: null, account: null, chainId: null, error: null });
  applySession(null);
}

/** Ask the wallet to switch to `chainId` (EIP-3326); if it does not know the chain, offer to add it (EIP-3085). */
export async function switchChain(chainId: number, addParams?: { chainName: string; rpcUrls: string[] }): Promise<void> {
  const active = walletStore.get().active;
  if (!active) return;
  const hex = `0x${chainId.toString(16)}`;
  walletStore.set({ error: null });
  try {
    await active.provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: hex }] });
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === 4902 && addParams && addParams.rpcUrls.length > 0) {
      try {
        await active.provider.request({
          method: "wallet_addEthereumChain",
          params: [
            {
              chainId: hex,
              chainName: addParams.chainName,
              rpcUrls: addParams.rpcUrls,
              nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
            },
          ],
        });
        return;
      } catch (addErr) {
        walletStore.set({ error: walletErrorMessage(addErr, "switch network") });
        return;
      }
    }
    walletStore.set({ error: walletErrorMessage(err, "switch network") });
  }
}

// --- SIWE session --------------------------------------------------------------------------------------------

/** Sign in with Ethereum: fetch a nonce, have the wallet sign the EIP-4361 message, exchange it for a JWT. */
export async function signIn(): Promise<void> {
  const { active, account } = walletStore.get();
  if (!active || !account) {
    walletStore.set({ error: "Connect a wallet first." });
    return;
  }
  walletStore.set({ signingIn: true, error: null });
  try {
    const nonce = unwrap(await api.GET("/api/v1/auth/nonce"));
    const message = createSiweMessage({
      address: account,
      chainId: nonce.chainId,
      domain: nonce.domain,
      uri: nonce.uri,
      version: nonce.version as "1",
      nonce: nonce.nonce,
      issuedAt: new Date(nonce.issuedAt),
      expirationTime: new Date(nonce.expiresAt * 1000),
      statement: nonce.statement,
    });
    const signature = (await active.provider.request({
      method: "personal_sign",
      params: [stringToHex(message), account],
    })) as string;
    const session = unwrap(await api.POST("/api/v1/auth/verify", { body: { message, signature } }));
    const saved: Session = {
      token: session.token,
      address: session.address.toLowerCase(),
      roles: session.roles,
      expiresAt: session.expiresAt,
    };
    storage()?.setItem(sessionKey(account), JSON.stringify(saved));
    applySession(saved);
  } catch (err) {
    walletStore.set({ error: walletErrorMessage(err, "sign in") });
  } finally {
    walletStore.set({ signingIn: false });
  }
}

/** Revoke the session on the server (so the token is refused everywhere) and forget it here. */
export async function signOut(): Promise<void> {
  const { account, session } = walletStore.get();
  if (session) {
    try {
      await api.POST("/api/v1/auth/logout");
    } catch {
      // The local session is dropped anyway; a token that could not be revoked still expires on its own.
    }
  }
  if (account) storage()?.removeItem(sessionKey(account));
  applySession(null);
}

setUnauthorizedHandler(() => {
  const { account } = walletStore.get();
  if (account) storage()?.removeItem(sessionKey(account));
  applySession(null);
  walletStore.set({ error: "Your session has ended. Sign in again to continue." });
});

/** A short explanation of a wallet failure, naming what to do next. */
export function walletErrorMessage(err: unknown, action: string): string {
  // viem wraps the wallet's EIP-1193 error (e.g. TransactionExecutionError -> UserRejectedRequestError): find its code.
  let code: number | undefined;
  for (let e: unknown = err, depth = 0; e && depth < 8 && code === undefined; depth += 1) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === "number") code = c;
    e = (e as { cause?: unknown }).cause;
  }
  if (code === 4001) return `You declined to ${action} in your wallet.`;
  if (code === -32002) return "Your wallet already has a request open. Open the wallet to finish it.";
  if (code === 4100) return "The wallet has not authorised this site. Connect again.";
  if (code === 4902) return "Your wallet does not know this network. Add it in the wallet, then try again.";
  const message = (err as { shortMessage?: string; message?: string } | null)?.shortMessage ?? (err as Error)?.message;
  return message ? `Could not ${action}: ${message}` : `Could not ${action}.`;
}

// --- viem clients --------------------------------------------------------------------------------------------

export interface Clients {
  wallet: WalletClient;
  public: PublicClient;
  account: Address;
}

/** viem clients over the connected wallet's provider (reads, simulation and receipts go through it too). */
export function clients(): Clients | null {
  const { active, account } = walletStore.get();
  if (!active || !account) return null;
  const transport = custom(active.provider);
  return {
    wallet: createWalletClient({ account, transport }),
    public: createPublicClient({ transport }) as PublicClient,
    account,
  };
}

export function hasRole(session: Session | null, role: number): boolean {
  return session !== null && (session.roles & role) === role;
}
