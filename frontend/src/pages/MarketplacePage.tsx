/** The marketplace: open listings with filters and sort, live funding progress, and the fund dialog. */
import { useState, type ReactNode } from "react";
import { FundDialog, type FundTarget } from "../components/FundDialog";
import { FundingProgress, RiskBadge } from "../components/FundingProgress";
import { Money } from "../components/Money";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { useWrongNetwork } from "../components/NetworkBanner";
import { api, describeError, unwrap, type Schemas } from "../lib/api";
import { useDecimals } from "../lib/config";
import { formatDateIST, formatPercent, formatRupeesCompact, parseRupees } from "../lib/format";
import { useQuery } from "../lib/query";
import { Link } from "../lib/router";

type Item = Schemas["MarketplaceItem"];
type Sort = Schemas["MarketSortName"];

const SORTS: { value: Sort; label: string }[] = [
  { value: "newest", label: "Newest" },
  { value: "expectedROI", label: "Expected return" },
  { value: "riskScore", label: "Risk score" },
  { value: "daysToMaturity", label: "Days to maturity" },
  { value: "amount", label: "Face value" },
  { value: "discountedAmount", label: "Price" },
  { value: "fundingDeadline", label: "Funding deadline" },
];

const MARKET_EVENTS = new Set(["InvoiceListed", "Invested", "InvoiceFunded", "ListingCancelled", "InvoiceVerified"]);

interface Filters {
  sort: Sort;
  order: "" | "asc" | "desc";
  minRiskScore: string;
  maxDaysToMaturity: string;
  minRoi: string;
  minAmount: string;
  maxAmount: string;
  checksComplete: boolean;
}

const DEFAULT_FILTERS: Filters = {
  sort: "newest",
  order: "",
  minRiskScore: "",
  maxDaysToMaturity: "",
  minRoi: "",
  minAmount: "",
  maxAmount: "",
  checksComplete: false,
};

function queryOf(filters: Filters, decimals: number, cursor?: string) {
  const int = (text: string): number | undefined => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined);
  const num = (text: string): number | undefined => {
    const n = Number(text.trim());
    return text.trim() !== "" && Number.isFinite(n) ? n : undefined;
  };
  const rupees = (text: string): number | undefined => {
    const units = text.trim() ? parseRupees(text, decimals) : null;
    return units !== null && units <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(units) : undefined;
  };
  return {
    sort: filters.sort,
    order: filters.order || undefined,
    minRiskScore: int(filters.minRiskScore),
    maxDaysToMaturity: int(filters.maxDaysToMaturity),
    minRoi: num(filters.minRoi),
    minAmount: rupees(filters.minAmount),
    maxAmount: rupees(filters.maxAmount),
    checksComplete: filters.checksComplete || undefined,
    limit: 12,
    cursor,
  };
}

function StatsStrip(): ReactNode {
  const stats = useQuery(async () => unwrap(await api.GET("/api/v1/stats")), [], { live: true });
  const s = stats.data;
  if (!s) return null; // the listings below carry the page; the strip is a summary
  return (
    <div className="stats" data-testid="market-stats">
      <div className="stat">
        <div className="label">Open listings</div>
        <div className="value" data-testid="stat-open-listings">{s.openListings}</div>
      </div>
      <div className="stat">
        <div className="label">Funded to date</div>
        <div className="value">{formatRupeesCompact(s.volumeFunded)}</div>
      </div>
      <div className="stat">
        <div className="label">Repaid to date</div>
        <div className="value">{formatRupeesCompact(s.volumeRepaid)}</div>
      </div>
      <div className="stat">
        <div className="label">Avg. expected return</div>
        <div className="value">{formatPercent(s.averageExpectedROI)}</div>
      </div>
    </div>
  );
}

function ListingCard({ item, onFund, canFund }: { item: Item; onFund: (item: Item) => void; canFund: boolean }): ReactNode {
  return (
    <article className="card listing" data-testid="listing-card" data-invoice-id={item.id}>
      <div className="listing-head">
        <Link to={`/invoices/${item.id}`} data-testid="listing-link">
          Invoice #{item.id}
        </Link>
        <RiskBadge score={item.riskScore} />
      </div>
      <div>
        <div className="big" data-testid="listing-roi">
          {formatPercent(item.expectedROI)} <span className="small muted">a year</span>
        </div>
        <div className="small muted">
          {item.daysToMaturity} days to maturity · {formatPercent(item.discountRate)} discount
        </div>
      </div>
      <div className="row">
        <span>Face value</span>
        <Money value={item.amount} testId="listing-amount" />
      </div>
      <div className="row">
        <span>Price</span>
        <Money value={item.discountedAmount} testId="listing-price" />
      </div>
      <div className="row">
        <span>Minimum ticket</span>
        <Money value={item.minTicket} />
      </div>
      <div className="row">
        <span>Funding closes</span>
        <span>{formatDateIST(item.fundingDeadline)}</span>
      </div>
      {!item.checks.complete && (
        <span className="badge warn" title="Not every verification check passed">
          Checks incomplete
        </span>
      )}
      <FundingProgress percent={item.fundedPercent} raised={item.raised} price={item.discountedAmount} />
      <div className="actions">
        <Link to={`/invoices/${item.id}`} className="button secondary">
          Details
        </Link>
        <button type="button" onClick={() => onFund(item)} disabled={!canFund} data-testid="fund-button">
          Fund
        </button>
      </div>
    </article>
  );
}

export function MarketplacePage(): ReactNode {
  const decimals = useDecimals();
  const wrongNetwork = useWrongNetwork();
  const [draft, setDraft] = useState<Filters>(DEFAULT_FILTERS);
  const [filters, setFilters] = useState<Filters>(DEFAULT_FILTERS);
  const [more, setMore] = useState<{ items: Item[]; cursor: string | null; loading: boolean; error: string | null }>({
    items: [],
    cursor: null,
    loading: false,
    error: null,
  });
  const [funding, setFunding] = useState<FundTarget | null>(null);

  const first = useQuery(
    async () => {
      const page = unwrap(await api.GET("/api/v1/invoices/marketplace", { params: { query: queryOf(filters, decimals) } }));
      setMore({ items: [], cursor: page.nextCursor, loading: false, error: null });
      return page;
    },
    [filters, decimals],
    { live: (event) => MARKET_EVENTS.has(event.type) },
  );

  const loadMore = async (): Promise<void> => {
    if (!more.cursor) return;
    setMore((m) => ({ ...m, loading: true, error: null }));
    try {
      const page = unwrap(
        await api.GET("/api/v1/invoices/marketplace", { params: { query: queryOf(filters, decimals, more.cursor) } }),
      );
      setMore((m) => ({ items: [...m.items, ...page.items], cursor: page.nextCursor, loading: false, error: null }));
    } catch (err) {
      setMore((m) => ({ ...m, loading: false, error: describeError(err) }));
    }
  };

  const items = first.data ? [...first.data.items, ...more.items] : [];
  const set = (patch: Partial<Filters>): void => setDraft((d) => ({ ...d, ...patch }));
  const changed = JSON.stringify(draft) !== JSON.stringify(filters);

  return (
    <div data-testid="page-marketplace">
      <div className="page-head">
        <div>
          <h1>Marketplace</h1>
          <p className="muted">Verified GST invoices, sold at a discount. Fund from your wallet; claim when the buyer pays.</p>
        </div>
      </div>
      <StatsStrip />
      <form
        className="card"
        aria-label="Filter and sort listings"
        onSubmit={(event) => {
          event.preventDefault();
          setFilters(draft);
        }}
        data-testid="market-filters"
      >
        <div className="filters">
          <div className="field">
            <label htmlFor="f-sort">Sort by</label>
            <select id="f-sort" value={draft.sort} onChange={(e) => set({ sort: e.target.value as Sort })} data-testid="filter-sort">
              {SORTS.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-order">Order</label>
            <select id="f-order" value={draft.order} onChange={(e) => set({ order: e.target.value as Filters["order"] })} data-testid="filter-order">
              <option value="">Default</option>
              <option value="desc">Highest first</option>
              <option value="asc">Lowest first</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-risk">Min. risk score</label>
            <input id="f-risk" inputMode="numeric" placeholder="0–100" value={draft.minRiskScore} onChange={(e) => set({ minRiskScore: e.target.value })} data-testid="filter-min-risk" />
          </div>
          <div className="field">
            <label htmlFor="f-roi">Min. return (%/yr)</label>
            <input id="f-roi" inputMode="decimal" placeholder="e.g. 10" value={draft.minRoi} onChange={(e) => set({ minRoi: e.target.value })} data-testid="filter-min-roi" />
          </div>
          <div className="field">
            <label htmlFor="f-days">Max. days to maturity</label>
            <input id="f-days" inputMode="numeric" placeholder="e.g. 90" value={draft.maxDaysToMaturity} onChange={(e) => set({ maxDaysToMaturity: e.target.value })} data-testid="filter-max-days" />
          </div>
          <div className="field">
            <label htmlFor="f-min-amount">Min. face value ₹</label>
            <input id="f-min-amount" inputMode="decimal" placeholder="e.g. 1,00,000" value={draft.minAmount} onChange={(e) => set({ minAmount: e.target.value })} data-testid="filter-min-amount" />
          </div>
          <div className="field">
            <label htmlFor="f-max-amount">Max. face value ₹</label>
            <input id="f-max-amount" inputMode="decimal" placeholder="e.g. 10,00,000" value={draft.maxAmount} onChange={(e) => set({ maxAmount: e.target.value })} data-testid="filter-max-amount" />
          </div>
          <div className="field">
            <label className="toggle" htmlFor="f-checks">
              <input id="f-checks" type="checkbox" checked={draft.checksComplete} onChange={(e) => set({ checksComplete: e.target.checked })} data-testid="filter-checks-complete" />
              Fully verified only
            </label>
          </div>
        </div>
        <div style={{ display: "flex", gap: "0.5rem", flexWrap: "wrap" }}>
          <button type="submit" data-testid="filter-apply" disabled={!changed}>
            Apply
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setDraft(DEFAULT_FILTERS);
              setFilters(DEFAULT_FILTERS);
            }}
            data-testid="filter-reset"
          >
            Reset
          </button>
        </div>
      </form>

      {first.error && !first.data && <ErrorState title="Cannot load the marketplace" message={first.error} onRetry={first.reload} />}
      {!first.error && !first.data && <Loading label="Loading listings…" />}
      {first.data && items.length === 0 && (
        <EmptyState title="No open listings" testId="market-empty">
          <p>
            {JSON.stringify(filters) === JSON.stringify(DEFAULT_FILTERS)
              ? "Nothing is open for funding right now. New listings appear here as soon as SMEs list them."
              : "No listing matches these filters. Loosen them or reset."}
          </p>
        </EmptyState>
      )}
      {items.length > 0 && (
        <>
          <p className="small muted" data-testid="market-count">
            Showing {items.length} listing{items.length === 1 ? "" : "s"}
            {first.data?.nextCursor || more.cursor ? " (more available)" : ""}. Funding progress updates live.
          </p>
          <div className="grid cards" data-testid="listing-grid">
            {items.map((item) => (
              <ListingCard key={item.id} item={item} canFund={!wrongNetwork} onFund={(i) => setFunding(i)} />
            ))}
          </div>
        </>
      )}
      {more.error && <ErrorState title="Cannot load more listings" message={more.error} onRetry={() => void loadMore()} />}
      {more.cursor && (
        <div style={{ textAlign: "center", marginTop: "1rem" }}>
          <button type="button" className="secondary" onClick={() => void loadMore()} disabled={more.loading} data-testid="load-more">
            {more.loading ? "Loading…" : "Load more"}
          </button>
        </div>
      )}
      {funding && <FundDialog target={funding} onClose={() => setFunding(null)} onFunded={first.reload} />}
    </div>
  );
}
