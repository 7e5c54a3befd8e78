/** Says clearly when the wallet is on another chain than the deployment, and asks the wallet to switch. */
import type { ReactNode } from "react";
import { useConfig } from "../lib/config";
import { switchChain, useWallet } from "../lib/wallet";

export function chainLabel(chainId: number): string {
  const known: Record<number, string> = {
    1: "Ethereum mainnet",
    10: "OP Mainnet",
    137: "Polygon",
    8453: "Base",
    11155111: "Sepolia",
    84532: "Base Sepolia",
    80002: "Polygon Amoy",
    31337: "local chain (anvil)",
    1337: "local chain",
  };
  return known[chainId] ? `${known[chainId]} (${chainId})` : `chain ${chainId}`;
}

export function useWrongNetwork(): boolean {
  const { config } = useConfig();
  const { account, chainId } = useWallet();
  return Boolean(config && account && chainId !== null && chainId !== config.chainId);
}

export function NetworkBanner(): ReactNode {
  const { config } = useConfig();
  const { account, chainId } = useWallet();
  if (!config || !account || chainId === null || chainId === config.chainId) return null;
  return (
    <div className="notice warn network-banner" role="alert" data-testid="wrong-network">
      <p>
        <strong>Wrong network.</strong> Your wallet is on {chainLabel(chainId)}; Hundi runs on{" "}
        {chainLabel(config.chainId)}. Transactions are disabled until you switch.
      </p>
      <button
        type="button"
        className="small"
        data-testid="switch-network"
        onClick={() =>
          void switchChain(config.chainId, { chainName: `Hundi ${config.deploymentName}`, rpcUrls: [config.rpcUrl] })
        }
      >
        Switch to {chainLabel(config.chainId)}
      </button>
    </div>
  );
}
