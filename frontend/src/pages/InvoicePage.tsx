/**
 * One invoice: its fields, status, verification checks, listing and funding, repayments, and the timeline of
 * every event. The seller can download the document, list a verified invoice or cancel an unfunded listing.
 */
import { useState, type ReactNode } from "react";
import { FundDialog } from "../components/FundDialog";
import { FundingProgress, RiskBadge } from "../components/FundingProgress";
import { InvoiceTimeline } from "../components/InvoiceTimeline";
import { ListForm } from "../components/ListForm";
import { Money } from "../components/Money";
import { useWrongNetwork } from "../components/NetworkBanner";
import { ErrorState, Loading, EmptyState } from "../components/States";
import { StatusBadge } from "../components/StatusBadge";
import { TxStatus } from "../components/TxStatus";
import { VerificationChecks } from "../components/VerificationChecks";
import { cancelStep } from "../lib/actions";
import { api, describeError, unwrap, type Schemas } from "../lib/api";
import { formatDateIST, formatDateTimeIST, formatPercent, shortAddress } from "../lib/format";
import { useQuery } from "../lib/query";
import { Link } from "../lib/router";
import { runSteps, useTransaction } from "../lib/tx";
import { useWallet } from "../lib/wallet";

type Invoice = Schemas["InvoiceDetail"];

function DocumentLink({ id }: { id: number }): ReactNode {
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const open = async (): Promise<void> => {
    setState({ busy: true, error: null });
    try {
      // The document needs the seller's bearer token, so it is fetched and handed to the browser as a blob.
      const { data, response, error } = await api.GET("/api/v1/invoices/{invoice_id}/document", {
        params: { path: { invoice_id: id } },
        parseAs: "blob",
      });
      if (!response.ok || !data) unwrap({ data: undefined, error, response });
      const url = URL.createObjectURL(data as Blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = `invoice-${id}${(data as Blob).type === "application/pdf" ? ".pdf" : (data as Blob).type === "image/png" ? ".png" : ".jpg"}`;
      a.click();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setState({ busy: false, error: null });
    } catch (err) {
      setState({ busy: false, error: describeError(err) });
    }
  };
  return (
    <>
      <button type="button" className="secondary small" onClick={() => void open()} disabled={state.busy} data-testid="document-download">
        {state.busy ? "Downloading…" : "Download the document"}
      </button>
      {state.error && <p className="small" style={{ color: "var(--bad)" }}>{state.error}</p>}
    </>
  );
}

function ListingPanel({ invoice, onChanged }: { invoice: Invoice; onChanged: () => void }): ReactNode {
  const listing = invoice.listing;
  const wrongNetwork = useWrongNetwork();
  const { account } = useWallet();
  const [funding, setFunding] = useState(false);
  const tx = useTransaction();
  const isSeller = account?.toLowerCase() === invoice.seller;
  if (!listing) return null;
  const open = listing.state === "Open" && invoice.chainTime < listing.fundingDeadline;
  const canCancel = isSeller && listing.state === "Open" && BigInt(listing.raised) === 0n;
  return (
    <section className="card" data-testid="listing-panel" data-listing-state={listing.state}>
      <h2>Funding</h2>
      <dl className="facts">
        <dt>Price</dt>
        <dd>
          <Money value={listing.price} /> <span className="muted small">({formatPercent(listing.discountRate)} discount)</span>
        </dd>
        <dt>Expected return</dt>
        <dd>{listing.expectedROI != null ? `${formatPercent(listing.expectedROI)} a year` : "—"}</dd>
        <dt>Minimum ticket</dt>
        <dd>
          <Money value={listing.minTicket} />
        </dd>
        <dt>Funding closes</dt>
        <dd>{formatDateTimeIST(listing.fundingDeadline)}</dd>
        <dt>Investors</dt>
        <dd>{listing.investors}</dd>
        {listing.fee != null && (
          <>
            <dt>Platform fee</dt>
            <dd>
              <Money value={listing.fee} />
            </dd>
          </>
        )}
      </dl>
      <div style={{ margin: "0.75rem 0" }}>
        <FundingProgress percent={listing.fundedPercent} raised={listing.raised} price={listing.price} />
      </div>
      {open && (
        <button type="button" onClick={() => setFunding(true)} disabled={wrongNetwork} data-testid="fund-button">
          Fund this invoice
        </button>
      )}
      {canCancel && (
        <>
          <TxStatus state={tx.state} onDismiss={tx.reset} />
          <button
            type="button"
            className="secondary"
            style={{ marginLeft: open ? "0.5rem" : 0 }}
            disabled={tx.busy || wrongNetwork}
            onClick={() => void runSteps([cancelStep(invoice.id)]).then((ok) => ok && onChanged())}
            data-testid="cancel-listing"
          >
            Cancel listing
          </button>
        </>
      )}
      {funding && (
        <FundDialog
          target={{
            id: invoice.id,
            amount: invoice.amount,
            discountedAmount: listing.price,
            remaining: listing.remaining,
            minTicket: listing.minTicket,
            expectedROI: listing.expectedROI,
            daysToMaturity: listing.daysToMaturity,
          }}
          onClose={() => setFunding(false)}
          onFunded={onChanged}
        />
      )}
    </section>
  );
}

export function InvoicePage({ id }: { id: string }): ReactNode {
  const valid = /^\d{1,18}$/.test(id) && Number(id) >= 1;
  const invoiceId = Number(id);
  const { session } = useWallet();
  const query = useQuery(
    async () => unwrap(await api.GET("/api/v1/invoices/{invoice_id}", { params: { path: { invoice_id: invoiceId } } })),
    [invoiceId, session?.token],
    { enabled: valid, live: (event) => event.invoiceId === invoiceId },
  );

  if (!valid) {
    return (
      <EmptyState title="No such invoice" testId="invoice-not-found">
        <p>Invoice ids are whole numbers from 1. <Link to="/">Back to the marketplace</Link></p>
      </EmptyState>
    );
  }
  if (query.error && !query.data) {
    const notFound = query.error.includes("not found");
    return notFound ? (
      <EmptyState title={`Invoice #${invoiceId} not found`} testId="invoice-not-found">
        <p>It does not exist on this deployment, or the indexer has not seen it yet. <Link to="/">Back to the marketplace</Link></p>
      </EmptyState>
    ) : (
      <ErrorState title={`Cannot load invoice #${invoiceId}`} message={query.error} onRetry={query.reload} />
    );
  }
  if (!query.data) return <Loading label={`Loading invoice #${invoiceId}…`} />;
  const invoice = query.data;
  const isSeller = session?.address === invoice.seller;

  return (
    <div data-testid="page-invoice" data-invoice-id={invoice.id}>
      <div className="page-head">
        <div>
          <p className="small muted">
            <Link to="/">Marketplace</Link> / Invoice #{invoice.id}
          </p>
          <h1>
            Invoice #{invoice.id} <StatusBadge status={invoice.status} />
          </h1>
          <p className="muted">
            <Money value={invoice.amount} /> due on {formatDateIST(invoice.dueDate)}
          </p>
        </div>
        <RiskBadge score={invoice.riskScore} />
      </div>

      <div className="grid cols-2">
        <div>
          <section className="card">
            <h2>Invoice</h2>
            <dl className="facts">
              <dt>Face value</dt>
              <dd>
                <Money value={invoice.amount} testId="invoice-amount" />
              </dd>
              <dt>Issued</dt>
              <dd>{formatDateIST(invoice.issueDate)}</dd>
              <dt>Due</dt>
              <dd>{formatDateIST(invoice.dueDate)}</dd>
              <dt>Seller</dt>
              <dd className="mono" title={invoice.seller}>
                {shortAddress(invoice.seller)}
                {isSeller && <span className="badge info" style={{ marginLeft: "0.4rem" }}>You</span>}
              </dd>
              <dt>Repaid so far</dt>
              <dd>
                <Money value={invoice.totalRepaid} testId="invoice-repaid" />
              </dd>
              {invoice.outstandingAtDefault != null && (
                <>
                  <dt>Outstanding at default</dt>
                  <dd>
                    <Money value={invoice.outstandingAtDefault} />
                  </dd>
                </>
              )}
              <dt>Invoice key (IRN)</dt>
              <dd className="mono small" title={invoice.invoiceKey}>
                {shortAddress(invoice.invoiceKey)}
              </dd>
              <dt>Document digest</dt>
              <dd className="mono small" title={invoice.docDigest}>
                {shortAddress(invoice.docDigest)}
              </dd>
              <dt>Minted</dt>
              <dd className="small">
                block {invoice.mintedBlock} · <code title={invoice.mintedTx}>tx {shortAddress(invoice.mintedTx)}</code>
              </dd>
            </dl>
            {invoice.documentCid && (
              <div style={{ marginTop: "0.75rem" }} data-testid="document-section">
                <p className="small muted" style={{ marginBottom: "0.4rem" }}>
                  Only you, the seller, can see the document. CID <code>{shortAddress(invoice.documentCid)}</code>
                </p>
                <DocumentLink id={invoice.id} />
              </div>
            )}
          </section>
          <section className="card">
            <h2>Verification</h2>
            <VerificationChecks checks={invoice.checks} status={invoice.status} />
          </section>
        </div>
        <div>
          {invoice.listing && <ListingPanel invoice={invoice} onChanged={query.reload} />}
          {isSeller && invoice.status === "Verified" && (
            <section className="card" data-testid="list-section">
              <h2>List for funding</h2>
              <ListForm invoiceId={invoice.id} faceValue={invoice.amount} dueDate={invoice.dueDate} onListed={query.reload} />
            </section>
          )}
          {invoice.repayments.length > 0 && (
            <section className="card" data-testid="repayments">
              <h2>Repayments</h2>
              <table className="responsive">
                <thead>
                  <tr>
                    <th>Date (IST)</th>
                    <th className="right">Amount</th>
                    <th>Source</th>
                  </tr>
                </thead>
                <tbody>
                  {invoice.repayments.map((r) => (
                    <tr key={r.txHash + r.block}>
                      <td data-label="Date">{formatDateTimeIST(r.time)}</td>
                      <td data-label="Amount" className="right">
                        <Money value={r.amount} />
                      </td>
                      <td data-label="Source">{r.bankRef ? "Bank transfer" : "On-chain"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
          {invoice.investments.length > 0 && (
            <section className="card" data-testid="investments">
              <h2>Investments</h2>
              <table className="responsive">
                <thead>
                  <tr>
                    <th>Investor</th>
                    <th className="right">Amount</th>
                    <th>Date (IST)</th>
                  </tr>
                </thead>
                <tbody>
                  {invoice.investments.map((inv) => (
                    <tr key={inv.txHash + inv.investor}>
                      <td data-label="Investor" className="mono">{shortAddress(inv.investor)}</td>
                      <td data-label="Amount" className="right">
                        <Money value={inv.amount} />
                      </td>
                      <td data-label="Date">{formatDateTimeIST(inv.time)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
          <section className="card">
            <h2>Timeline</h2>
            <InvoiceTimeline entries={invoice.timeline} />
          </section>
        </div>
      </div>
    </div>
  );
}

