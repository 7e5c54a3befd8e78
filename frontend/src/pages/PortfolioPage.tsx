/**
 * The investor's portfolio: the wallet's stablecoin balance, totals, positions with what is claimable now, claim one or all, refunds after a
 * cancelled listing, the auto-payout switch (a keeper then pays claims to the wallet), and the account history.
 */
import { useState, type ReactNode } from "react";
import { Gate } from "../components/Gate";
import { Money } from "../components/Money";
import { useWrongNetwork } from "../components/NetworkBanner";
import { ErrorState, Loading } from "../components/States";
import { StatusBadge } from "../components/StatusBadge";
import { TxStatus } from "../components/TxStatus";
import { BalanceStat } from "../components/WalletBalance";
import { autoPayoutStep, claimManyStep, claimStep, refundStep } from "../lib/actions";
import { api, describeError, unwrap, type Schemas } from "../lib/api";
import { formatDateIST, formatDateTimeIST, formatPercent, shortAddress } from "../lib/format";
import { useQuery } from "../lib/query";
import { Link } from "../lib/router";
import { runSteps, useTransaction, type TxRequest } from "../lib/tx";
import { ROLE_INVESTOR, useWallet } from "../lib/wallet";

type Portfolio = Schemas["Portfolio"];
type Position = Schemas["PositionView"];
type HistoryEntry = Schemas["HistoryEntry"];

const HISTORY_TITLES: Record<string, string> = {
  Invested: "Invested",
  Refunded: "Refunded",
  Claimed: "Claimed",
  AutoPayoutSet: "Auto-payout changed",
};

function Totals({ portfolio }: { portfolio: Portfolio }): ReactNode {
  const t = portfolio.totals;
  return (
    <div className="stats" data-testid="portfolio-totals">
      <BalanceStat testId="portfolio-balance" />
      <div className="stat">
        <div className="label">Invested</div>
        <div className="value">
          <Money value={t.invested} testId="total-invested" />
        </div>
      </div>
      <div className="stat">
        <div className="label">Claimable now</div>
        <div className="value">
          <Money value={t.claimable} testId="total-claimable" />
        </div>
      </div>
      <div className="stat">
        <div className="label">Claimed</div>
        <div className="value">
          <Money value={t.claimed} testId="total-claimed" />
        </div>
      </div>
      <div className="stat">
        <div className="label">Active positions</div>
        <div className="value" data-testid="total-positions">
          {t.activePositions}
          <span className="small muted"> of {t.positions}</span>
        </div>
      </div>
      {BigInt(t.refundable) > 0n && (
        <div className="stat">
          <div className="label">Refundable</div>
          <div className="value">
            <Money value={t.refundable} testId="total-refundable" />
          </div>
        </div>
      )}
    </div>
  );
}

function AutoPayout({ enabled, onChanged, disabled }: { enabled: boolean; onChanged: () => void; disabled: boolean }): ReactNode {
  const [busy, setBusy] = useState(false);
  const toggle = async (): Promise<void> => {
    setBusy(true);
    const ok = await runSteps([autoPayoutStep(!enabled)]);
    setBusy(false);
    if (ok) onChanged();
  };
  return (
    <div className="notice info" data-testid="auto-payout" data-enabled={enabled}>
      <div>
        <strong>Automatic payouts are {enabled ? "on" : "off"}.</strong>
        <p className="small">
          {enabled
            ? "When a buyer repays, a keeper sends your share to your wallet; you do not need to claim."
            : "Turn them on and a keeper sends your share to your wallet when a buyer repays. You can always claim yourself."}
        </p>
      </div>
      <label className="toggle">
        <input type="checkbox" role="switch" checked={enabled} disabled={busy || disabled} onChange={() => void toggle()} data-testid="auto-payout-toggle" />
        {busy ? "Confirm in your wallet…" : "Automatic payouts"}
      </label>
    </div>
  );
}

function Positions({
  positions,
  onAction,
  busy,
  disabled,
}: {
  positions: Position[];
  onAction: (steps: TxRequest[]) => void;
  busy: boolean;
  disabled: boolean;
}): ReactNode {
  if (positions.length === 0) {
    return (
      <div className="state" data-testid="positions-empty">
        <h2>No positions yet</h2>
        <p>
          Fund an invoice on the <Link to="/">marketplace</Link>; your shares and payouts show up here.
        </p>
      </div>
    );
  }
  return (
    <div className="table-wrap">
      <table className="responsive" data-testid="positions">
        <thead>
          <tr>
            <th>Invoice</th>
            <th>Status</th>
            <th className="right">Invested</th>
            <th className="right">Share</th>
            <th>Due (IST)</th>
            <th className="right">Claimed</th>
            <th className="right">Claimable</th>
            <th>
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {positions.map((p) => {
            const claimable = BigInt(p.claimable) > 0n;
            const refundable = BigInt(p.refundable) > 0n;
            return (
              <tr key={p.invoiceId} data-testid="position-row" data-invoice-id={p.invoiceId}>
                <td data-label="Invoice">
                  <Link to={`/invoices/${p.invoiceId}`}>#{p.invoiceId}</Link>
                </td>
                <td data-label="Status">
                  <StatusBadge status={p.status} />
                </td>
                <td data-label="Invested" className="right">
                  <Money value={p.invested} />
                </td>
                <td data-label="Share" className="right num">
                  {formatPercent(p.sharePercent)}
                </td>
                <td data-label="Due">{formatDateIST(p.dueDate)}</td>
                <td data-label="Claimed" className="right">
                  <Money value={p.claimed} />
                </td>
                <td data-label="Claimable" className="right">
                  <Money value={p.claimable} testId="position-claimable" />
                </td>
                <td data-label="">
                  {claimable && (
                    <button
                      type="button"
                      className="small"
                      disabled={busy || disabled}
                      onClick={() => onAction([claimStep(p.invoiceId)])}
                      data-testid="claim-button"
                    >
                      Claim
                    </button>
                  )}
                  {refundable && (
                    <button
                      type="button"
                      className="small secondary"
                      disabled={busy || disabled}
                      onClick={() => onAction([refundStep(p.invoiceId)])}
                      data-testid="refund-button"
                    >
                      Refund <Money value={p.refundable} compactPaise />
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function History({ address, first, firstHasMore }: { address: string; first: HistoryEntry[]; firstHasMore: boolean }): ReactNode {
  const [extra, setExtra] = useState<{ items: HistoryEntry[]; cursor: string | null | undefined; error: string | null; loading: boolean }>({
    items: [],
    cursor: undefined,
    error: null,
    loading: false,
  });
  const loadMore = async (): Promise<void> => {
    setExtra((e) => ({ ...e, loading: true, error: null }));
    try {
      // The portfolio carries the latest entries; the history endpoint pages through all of them.
      const page = unwrap(
        await api.GET("/api/v1/portfolio/{address}/history", {
          params: { path: { address }, query: { limit: 20, cursor: extra.cursor ?? undefined } },
        }),
      );
      setExtra((e) => {
        const seen = new Set([...first, ...e.items].map((h) => h.id));
        return { items: [...e.items, ...page.items.filter((h) => !seen.has(h.id))], cursor: page.nextCursor, error: null, loading: false };
      });
    } catch (err) {
      setExtra((e) => ({ ...e, loading: false, error: describeError(err) }));
    }
  };
  const items = [...first, ...extra.items];
  const hasMore = extra.cursor === undefined ? firstHasMore : extra.cursor !== null;
  if (items.length === 0) return <p className="muted" data-testid="history-empty">No activity yet.</p>;
  return (
    <>
      <ol className="timeline" data-testid="portfolio-history">
        {items.map((h) => (
          <li key={h.id} data-testid="history-entry" data-event={h.event}>
            <div>
              <strong>{HISTORY_TITLES[h.event] ?? h.event}</strong>
              {h.invoiceId != null && (
                <>
                  {" "}
                  · <Link to={`/invoices/${h.invoiceId}`}>invoice #{h.invoiceId}</Link>
                </>
              )}
              {h.amount != null && (
                <>
                  {" "}
                  · <Money value={h.amount} />
                </>
              )}
            </div>
            <div className="when">
              {formatDateTimeIST(h.time)} · <code title={h.txHash}>tx {shortAddress(h.txHash)}</code>
            </div>
          </li>
        ))}
      </ol>
      {extra.error && <ErrorState title="Cannot load more history" message={extra.error} onRetry={() => void loadMore()} />}
      {hasMore && (
        <button type="button" className="secondary small" onClick={() => void loadMore()} disabled={extra.loading} data-testid="history-more">
          {extra.loading ? "Loading…" : "Older activity"}
        </button>
      )}
    </>
  );
}

function PortfolioView({ address }: { address: string }): ReactNode {
  const tx = useTransaction();
  const wrongNetwork = useWrongNetwork();
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const query = useQuery(
    async () =>
      unwrap(
        await api.GET("/api/v1/portfolio/{address}", {
          params: { path: { address }, query: { limit: 20, cursor: cursor ?? undefined } },
        }),
      ),
    [address, cursor],
    { live: (event) => event.account === address || ["RepaymentReceived", "InvoiceRepaid", "InvoiceDefaulted", "InvoiceFunded", "ListingCancelled"].includes(event.type) },
  );

  if (query.error && !query.data) return <ErrorState title="Cannot load your portfolio" message={query.error} onRetry={query.reload} />;
  if (!query.data) return <Loading label="Loading your portfolio…" />;
  const portfolio = query.data;
  const claimableIds = portfolio.positions.filter((p) => BigInt(p.claimable) > 0n).map((p) => p.invoiceId);

  const act = (steps: TxRequest[]): void => {
    void runSteps(steps).then((ok) => ok && query.reload());
  };

  return (
    <div data-testid="portfolio" data-address={address}>
      <Totals portfolio={portfolio} />
      <AutoPayout enabled={portfolio.autoPayout} onChanged={query.reload} disabled={wrongNetwork} />
      <section className="card">
        <div className="page-head" style={{ marginBottom: "0.5rem" }}>
          <h2 style={{ margin: 0 }}>Positions</h2>
          <button
            type="button"
            disabled={claimableIds.length === 0 || tx.busy || wrongNetwork}
            onClick={() => act([claimIds(claimableIds)])}
            data-testid="claim-all"
          >
            {claimableIds.length > 0 ? (
              <span>
                Claim all · <Money value={portfolio.positions.reduce((sum, p) => sum + BigInt(p.claimable), 0n).toString()} />
              </span>
            ) : (
              "Nothing to claim"
            )}
          </button>
        </div>
        <TxStatus state={tx.state} onDismiss={tx.reset} />
        <Positions positions={portfolio.positions} onAction={act} busy={tx.busy} disabled={wrongNetwork} />
        <div style={{ display: "flex", gap: "0.5rem", marginTop: "0.75rem" }}>
          {cursors.length > 1 && (
            <button type="button" className="secondary small" onClick={() => setCursors((c) => c.slice(0, -1))}>
              Previous
            </button>
          )}
          {portfolio.nextCursor && (
            <button type="button" className="secondary small" onClick={() => setCursors((c) => [...c, portfolio.nextCursor])}>
              Next positions
            </button>
          )}
        </div>
      </section>
      <section className="card">
        <h2>History</h2>
        <History address={address} first={portfolio.history} firstHasMore={portfolio.history.length >= 20} />
      </section>
    </div>
  );
}

function claimIds(ids: number[]): TxRequest {
  return ids.length === 1 ? claimStep(ids[0]!) : claimManyStep(ids);
}

export function PortfolioPage(): ReactNode {
  const { session } = useWallet();
  return (
    <div data-testid="page-portfolio">
      <div className="page-head">
        <div>
          <h1>Portfolio</h1>
          <p className="muted">Your invoice shares, what you can claim now, and everything that happened.</p>
        </div>
      </div>
      <Gate role={ROLE_INVESTOR} roleName="investor" action="see your portfolio">
        {session && <PortfolioView address={session.address} />}
      </Gate>
    </div>
  );
}
