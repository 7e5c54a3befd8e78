/**
 * The header's wallet area: connect (choosing among discovered wallets), the account and its stablecoin balance,
 * SIWE sign-in and sign-out.
 * Everything goes through the wallet store (lib/wallet.ts).
 */
import { useEffect, useRef, useState, type ReactNode } from "react";
import { shortAddress } from "../lib/format";
import { HeaderBalance } from "./WalletBalance";
import {
  connect,
  disconnect,
  hasRole,
  ROLE_INVESTOR,
  ROLE_SME,
  signIn,
  signOut,
  startDiscovery,
  useWallet,
  walletStore,
  type DiscoveredWallet,
} from "../lib/wallet";

function roleLabel(roles: number): string {
  const names: string[] = [];
  if (roles & ROLE_SME) names.push("SME");
  if (roles & ROLE_INVESTOR) names.push("Investor");
  return names.length ? names.join(" · ") : "No KYC role";
}

function WalletChooser({ onClose }: { onClose: () => void }): ReactNode {
  const { wallets, connecting } = useWallet();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  const choose = async (wallet: DiscoveredWallet): Promise<void> => {
    await connect(wallet);
    onClose();
  };
  return (
    <dialog ref={ref} onClose={onClose} aria-labelledby="wallet-chooser-title" data-testid="wallet-chooser">
      <div className="dialog-body">
        <div className="dialog-head">
          <h2 id="wallet-chooser-title">Connect a wallet</h2>
          <button type="button" className="secondary small" onClick={onClose}>
            Close
          </button>
        </div>
        {wallets.length === 0 ? (
          <p data-testid="no-wallet">
            No browser wallet was found. Install an Ethereum wallet extension (any EIP-1193 wallet works), then
            reload this page.
          </p>
        ) : (
          <ul className="wallet-list">
            {wallets.map((wallet) => (
              <li key={wallet.info.uuid}>
                <button
                  type="button"
                  className="secondary"
                  disabled={connecting}
                  onClick={() => void choose(wallet)}
                  data-testid="wallet-option"
                >
                  {wallet.info.icon && <img src={wallet.info.icon} alt="" />}
                  {wallet.info.name}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </dialog>
  );
}

export function WalletPanel(): ReactNode {
  const { wallets, account, session, connecting, signingIn } = useWallet();
  const [choosing, setChoosing] = useState(false);

  useEffect(() => startDiscovery(), []);

  const onConnect = (): void => {
    // One wallet: connect straight away; several: let the person choose.
    if (wallets.length === 1 && wallets[0]) void connect(wallets[0]);
    else setChoosing(true);
  };

  if (!account) {
    return (
      <div className="wallet-area">
        <button type="button" onClick={onConnect} disabled={connecting} data-testid="connect-wallet">
          {connecting ? "Check your wallet…" : "Connect wallet"}
        </button>
        {choosing && <WalletChooser onClose={() => setChoosing(false)} />}
      </div>
    );
  }
  return (
    <div className="wallet-area">
      <span className="badge info mono" title={account} data-testid="wallet-address" data-address={account.toLowerCase()}>
        {shortAddress(account)}
      </span>
      <HeaderBalance />
      {session ? (
        <>
          <span
            className={`badge ${hasRole(session, ROLE_SME) || hasRole(session, ROLE_INVESTOR) ? "ok" : "warn"} hide-phone`}
            data-testid="session-roles"
            data-roles={session.roles}
          >
            {roleLabel(session.roles)}
          </span>
          <button type="button" className="secondary small" onClick={() => void signOut()} data-testid="sign-out">
            Sign out
          </button>
        </>
      ) : (
        <button type="button" className="small" onClick={() => void signIn()} disabled={signingIn} data-testid="sign-in">
          {signingIn ? "Sign in your wallet…" : "Sign in"}
        </button>
      )}
      <button type="button" className="link small" onClick={disconnect} aria-label="Disconnect" title="Disconnect this wallet" data-testid="disconnect-wallet">
        <span className="hide-phone">Disconnect</span>
        <span className="show-phone" aria-hidden="true">
          ✕
        </span>
      </button>
    </div>
  );
}

/** A wallet error (declined, wrong state) shown under the header until dismissed. */
export function WalletError(): ReactNode {
  const { error } = useWallet();
  if (!error) return null;
  return (
    <div className="notice bad" role="alert" data-testid="wallet-error">
      <p>{error}</p>
      <button type="button" className="secondary small" onClick={() => walletStore.set({ error: null })}>
        Dismiss
      </button>
    </div>
  );
}
