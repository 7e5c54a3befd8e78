/**
 * What stands between the person and an action: no wallet, the wrong network, not signed in, or no KYC role.
 * Renders the one next step to take, or the children when nothing is missing.
 */
import type { ReactNode } from "react";
import { useConfig } from "../lib/config";
import { hasRole, signIn, startDiscovery, useWallet, walletStore, connect } from "../lib/wallet";
import { chainLabel } from "./NetworkBanner";

export function useGate(role?: number): "wallet" | "network" | "session" | "role" | null {
  const { account, chainId, session } = useWallet();
  const { config } = useConfig();
  if (!account) return "wallet";
  if (config && chainId !== config.chainId) return "network";
  if (!session) return "session";
  if (role !== undefined && !hasRole(session, role)) return "role";
  return null;
}

export function Gate({ role, roleName, action, children }: { role?: number; roleName?: string; action: string; children: ReactNode }): ReactNode {
  const gate = useGate(role);
  const { wallets, signingIn, connecting } = useWallet();
  const { config } = useConfig();
  if (gate === null) return <>{children}</>;
  let body: ReactNode;
  if (gate === "wallet") {
    body = (
      <>
        <p>Connect your wallet to {action}.</p>
        <button
          type="button"
          disabled={connecting}
          data-testid="gate-connect"
          onClick={() => {
            startDiscovery();
            const first = walletStore.get().wallets[0];
            if (first) void connect(first);
            else walletStore.set({ error: "No browser wallet was found. Install an Ethereum wallet extension and reload." });
          }}
        >
          {wallets.length ? "Connect wallet" : "Find a wallet"}
        </button>
      </>
    );
  } else if (gate === "network") {
    body = <p>Switch your wallet to {config ? chainLabel(config.chainId) : "Hundi's network"} to {action} (see the banner above).</p>;
  } else if (gate === "session") {
    body = (
      <>
        <p>Sign in with your wallet to {action}. Signing in costs no gas: your wallet signs a message that proves the address is yours.</p>
        <button type="button" onClick={() => void signIn()} disabled={signingIn} data-testid="gate-sign-in">
          {signingIn ? "Sign in your wallet…" : "Sign in"}
        </button>
      </>
    );
  } else {
    body = (
      <p>
        This account has no valid {roleName ?? "KYC"} approval, so it cannot {action}. Ask Hundi's KYC officer to approve
        it, then sign out and in again.
      </p>
    );
  }
  return (
    <div className="notice info" data-testid="gate" data-gate={gate}>
      <div>{body}</div>
    </div>
  );
}
