/**
 * The operator page: the API's readiness and indexer position, and the oracle node's health and status (pending,
 * held and failed reports, held bank payments, signer set) from its /oracle/v1/status, at the URL in
 * /api/v1/config. The status endpoint needs the node's operator token, kept in this tab only. A held bank payment
 * can be released to the invoice it pays (lib/oracle.ts releasePayment), which this node then reports.
 */
import { useCallback, useState, type ReactNode } from "react";
import { Money } from "../components/Money";
import { ReleaseForm, type ReleaseOutcome } from "../components/ReleaseForm";
import { ErrorState, Loading } from "../components/States";
import { api, describeError, unwrap, type Schemas } from "../lib/api";
import { useConfig } from "../lib/config";
import { formatDateTimeIST, shortAddress } from "../lib/format";
import { holdExplanation, oracleBase, oracleFetch, parseCandidates, type HeldPayment } from "../lib/oracle";
import { useQuery } from "../lib/query";
import { Link } from "../lib/router";

const TOKEN_KEY = "hundi.operator.token";

interface Report {
  reportId: string;
  kind: string | number;
  invoiceId: number | null;
  status: string;
  source?: string | null;
  detail?: string | null;
  attempts?: number;
  createdAt?: string | number | null;
  updatedAt?: string | number | null;
}

interface OracleStatus {
  pending: Report[];
  failed: Report[];
  held: {
    verifications: { invoiceId: number; reason: string | null; attempts: number }[];
    payments: HeldPayment[];
  };
  counts: { reports: Record<string, number>; transactions: Record<string, number>; payments?: Record<string, number> };
  chainId?: number;
  lastBlock?: number;
  head?: number;
  signer?: string;
  signerBalance?: string;
  isSigner?: boolean;
  signerSet?: { signers: string[]; threshold: number };
  peers?: string[];
}

function ApiHealth(): ReactNode {
  const ready = useQuery(async () => {
    const result = await api.GET("/readyz");
    // A 503 carries the same body with the failing check: show it rather than a bare error.
    if (result.response.status === 503 && result.error) return result.error as unknown as Schemas["Readiness"];
    return unwrap(result);
  }, []);
  const stats = useQuery(async () => unwrap(await api.GET("/api/v1/stats")), [], { live: true });
  const r = ready.data;
  const ok = r?.database === true && r?.chain === true;
  return (
    <section className="card" data-testid="api-health">
      <h2>API and indexer</h2>
      {ready.error && <ErrorState title="Readiness unknown" message={ready.error} onRetry={ready.reload} />}
      {!r && !ready.error && <Loading label="Checking the API…" />}
      {r && (
        <dl className="facts">
          <dt>Readiness</dt>
          <dd>
            <span className={`badge ${ok ? "ok" : "bad"}`} data-testid="api-ready" data-status={r.status}>
              {ok ? "Ready" : `Not ready (${r.status})`}
            </span>
          </dd>
          <dt>Database</dt>
          <dd>{r.database ? "reachable" : "unreachable"}</dd>
          <dt>Chain node</dt>
          <dd>{r.chain ? `reachable, chain ${r.chainId}` : "unreachable"}</dd>
          <dt>Indexer</dt>
          <dd className="num">
            {r.indexedBlock != null ? `block ${r.indexedBlock}` : "not started"}
            {r.head != null && <span className="muted small"> · head {r.head}{r.lag != null && `, ${r.lag} behind`}</span>}
          </dd>
          {stats.data && (
            <>
              <dt>Chain time</dt>
              <dd>{formatDateTimeIST(stats.data.chainTime)}</dd>
              <dt>Invoices</dt>
              <dd>{stats.data.invoices}</dd>
              <dt>Platform fees</dt>
              <dd>
                <Money value={stats.data.platformFees} />
              </dd>
            </>
          )}
        </dl>
      )}
    </section>
  );
}

function ReportTable({ reports, testId, empty }: { reports: Report[]; testId: string; empty: string }): ReactNode {
  if (reports.length === 0) return <p className="muted small" data-testid={`${testId}-empty`}>{empty}</p>;
  return (
    <div className="table-wrap">
      <table className="responsive" data-testid={testId}>
        <thead>
          <tr>
            <th>Report</th>
            <th>Kind</th>
            <th>Invoice</th>
            <th>Status</th>
            <th>Attempts</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {reports.map((r) => (
            <tr key={r.reportId} data-testid="report-row">
              <td data-label="Report" className="mono" title={r.reportId}>
                {shortAddress(r.reportId)}
              </td>
              <td data-label="Kind">{String(r.kind)}</td>
              <td data-label="Invoice">{r.invoiceId != null ? <Link to={`/invoices/${r.invoiceId}`}>#{r.invoiceId}</Link> : "—"}</td>
              <td data-label="Status">
                <span className={`badge ${r.status === "failed" ? "bad" : "info"}`}>{r.status}</span>
              </td>
              <td data-label="Attempts">{r.attempts ?? "—"}</td>
              <td data-label="Detail" className="small">{r.detail ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function OracleHealth({ base }: { base: string }): ReactNode {
  const health = useQuery(async () => (await oracleFetch<{ status: string; lastTickAgeSeconds: number }>(base, "/healthz")).body, [base], {
    enabled: !import.meta.env.DEV,
  });
  if (import.meta.env.DEV) return null;
  if (health.error) return <ErrorState title="Oracle health unknown" message={health.error} onRetry={health.reload} testId="oracle-health-error" />;
  if (!health.data) return <Loading label="Checking the oracle…" />;
  const ok = health.data.status === "ok";
  return (
    <p data-testid="oracle-health" data-status={health.data.status}>
      <span className={`badge ${ok ? "ok" : "bad"}`}>{ok ? "Healthy" : "Stalled"}</span>{" "}
      <span className="small muted">last chain tick {health.data.lastTickAgeSeconds.toFixed(1)} s ago</span>
    </p>
  );
}

/** Outcomes of releases in this tab: successes, and refusals whose payment is no longer held (shown at the top). */
function ReleaseResults({
  outcomes,
  held,
  onDismiss,
}: {
  outcomes: ReleaseOutcome[];
  held: ReadonlySet<string>;
  onDismiss: (transactionId: string) => void;
}): ReactNode {
  const shown = outcomes.filter((o) => o.ok || !held.has(o.transactionId));
  if (shown.length === 0) return null;
  return (
    <div className="release-results" data-testid="release-results">
      {shown.map((o) => (
        <div
          key={o.transactionId}
          className={`notice ${o.ok ? "ok" : "bad"}`}
          role={o.ok ? "status" : "alert"}
          data-testid="release-result"
          data-transaction-id={o.transactionId}
          data-outcome={o.ok ? o.result.outcome : "error"}
          data-invoice-id={o.ok ? (o.result.invoiceId ?? "") : ""}
          data-report-id={o.ok ? (o.result.reportId ?? "") : ""}
        >
          <div>
            {o.ok ? (
              <>
                <strong>
                  Bank payment <code>{o.transactionId}</code> released to{" "}
                  {o.result.invoiceId != null ? <Link to={`/invoices/${o.result.invoiceId}`}>invoice #{o.result.invoiceId}</Link> : "its invoice"}
                  : {o.result.outcome}
                </strong>
                <p className="small">
                  {o.result.reportId ? (
                    <>
                      Repayment report <span className="mono" title={o.result.reportId}>{shortAddress(o.result.reportId)}</span> is in this
                      node's outbox.{" "}
                    </>
                  ) : null}
                  It settles once enough signer nodes report it: release the payment the same way on every node that
                  should co-sign.
                </p>
              </>
            ) : (
              <>
                <strong>
                  Bank payment <code>{o.transactionId}</code> was not released
                </strong>
                <p className="small">{o.message}</p>
              </>
            )}
          </div>
          <button type="button" className="secondary small" onClick={() => onDismiss(o.transactionId)} data-testid="release-dismiss">
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}

function HeldPaymentCard({
  payment,
  children,
}: {
  payment: HeldPayment;
  children: ReactNode;
}): ReactNode {
  const candidates = parseCandidates(payment.candidates);
  return (
    <article
      className="held-payment"
      data-testid="held-payment"
      data-transaction-id={payment.transaction_id}
      data-hold-reason={payment.hold_reason ?? ""}
    >
      <div className="held-head">
        <span>
          Bank payment <code>{payment.transaction_id}</code>
        </span>
        <Money value={payment.amount_units} testId="held-amount" />
      </div>
      <dl className="facts small">
        <dt>Invoice number</dt>
        <dd>
          <code>{payment.invoice_number}</code>
        </dd>
        <dt>Paid</dt>
        <dd>{formatDateTimeIST(payment.paid_at)}</dd>
        <dt>Why held</dt>
        <dd data-testid="held-reason" title={payment.hold_reason ?? undefined}>
          {holdExplanation(payment)}
        </dd>
        {payment.invoice_id != null && (
          <>
            <dt>Matched invoice</dt>
            <dd>
              <Link to={`/invoices/${payment.invoice_id}`}>#{payment.invoice_id}</Link>
            </dd>
          </>
        )}
        {candidates.length > 0 && (
          <>
            <dt>Candidates</dt>
            <dd>
              {candidates.map((c, i) => (
                <span key={c}>
                  {i > 0 && ", "}
                  <Link to={`/invoices/${c}`}>#{c}</Link>
                </span>
              ))}
            </dd>
          </>
        )}
      </dl>
      {children}
    </article>
  );
}

function OracleStatusView({ base, token }: { base: string; token: string }): ReactNode {
  const status = useQuery(async () => (await oracleFetch<OracleStatus>(base, "/oracle/v1/status", token)).body, [base, token], {
    live: true,
  });
  // Newest first, one per payment; kept for this page view only.
  const [outcomes, setOutcomes] = useState<ReleaseOutcome[]>([]);
  const reload = status.reload;
  const onReleased = useCallback(
    (outcome: ReleaseOutcome) => {
      setOutcomes((list) => [outcome, ...list.filter((o) => o.transactionId !== outcome.transactionId)].slice(0, 10));
      reload();
    },
    [reload],
  );
  const dismiss = useCallback((transactionId: string) => setOutcomes((list) => list.filter((o) => o.transactionId !== transactionId)), []);

  if (status.error && !status.data) return <ErrorState title="Cannot read the oracle's status" message={status.error} onRetry={status.reload} testId="oracle-status-error" />;
  if (!status.data) return <Loading label="Reading the oracle's status…" />;
  const s = status.data;
  const lag = s.head != null && s.lastBlock != null ? s.head - s.lastBlock : null;
  const threshold = s.signerSet ? `${s.signerSet.threshold} of ${s.signerSet.signers.length} signers` : null;
  const held = new Set(s.held.payments.map((p) => p.transaction_id));
  const errors = new Map(outcomes.flatMap((o) => (o.ok ? [] : [[o.transactionId, o.message] as const])));
  return (
    <div data-testid="oracle-status">
      {status.error && <ErrorState title="Could not refresh the oracle's status" message={status.error} onRetry={status.reload} testId="oracle-refresh-error" />}
      <dl className="facts" style={{ marginBottom: "1rem" }}>
        {s.lastBlock != null && (
          <>
            <dt>Processed block</dt>
            <dd className="num">
              {s.lastBlock} {lag !== null && <span className="muted small">({lag} behind the head {s.head})</span>}
            </dd>
          </>
        )}
        {s.signer && (
          <>
            <dt>Signer</dt>
            <dd className="mono small">
              {shortAddress(s.signer)} {s.isSigner === false && <span className="badge bad">not in the signer set</span>}
            </dd>
          </>
        )}
        {s.signerBalance && (
          <>
            <dt>Signer balance</dt>
            <dd className="num">{(Number(BigInt(s.signerBalance) / 10n ** 12n) / 1e6).toFixed(4)} ETH</dd>
          </>
        )}
        {threshold && (
          <>
            <dt>Threshold</dt>
            <dd>{threshold}</dd>
          </>
        )}
        <dt>Reports</dt>
        <dd className="small">{Object.entries(s.counts.reports).map(([k, v]) => `${k}: ${v}`).join(" · ") || "none yet"}</dd>
      </dl>
      <h3>Pending reports</h3>
      <ReportTable reports={s.pending} testId="oracle-pending" empty="No report is waiting." />
      <h3 style={{ marginTop: "1rem" }}>Held for review</h3>
      <ReleaseResults outcomes={outcomes} held={held} onDismiss={dismiss} />
      {s.held.verifications.length === 0 && s.held.payments.length === 0 ? (
        <p className="muted small" data-testid="oracle-held-empty">Nothing is held.</p>
      ) : (
        <div data-testid="oracle-held">
          {s.held.verifications.length > 0 && (
            <ul>
              {s.held.verifications.map((h) => (
                <li key={`v${h.invoiceId}`} data-testid="held-verification">
                  Verification of <Link to={`/invoices/${h.invoiceId}`}>invoice #{h.invoiceId}</Link>: {h.reason ?? "no reason given"} ({h.attempts} attempts)
                </li>
              ))}
            </ul>
          )}
          {s.held.payments.map((p) => (
            <HeldPaymentCard key={p.transaction_id} payment={p}>
              <ReleaseForm
                payment={p}
                base={base}
                token={token}
                threshold={threshold}
                error={errors.get(p.transaction_id) ?? null}
                onDone={onReleased}
              />
            </HeldPaymentCard>
          ))}
        </div>
      )}
      <h3 style={{ marginTop: "1rem" }}>Failed reports</h3>
      <ReportTable reports={s.failed} testId="oracle-failed" empty="No failed report." />
    </div>
  );
}

export function OperatorPage(): ReactNode {
  const { config } = useConfig();
  const [token, setToken] = useState<string>(() => {
    try {
      return window.sessionStorage.getItem(TOKEN_KEY) ?? "";
    } catch {
      return "";
    }
  });
  const [draft, setDraft] = useState(token);
  const [error, setError] = useState<string | null>(null);

  const save = (): void => {
    const value = draft.trim();
    if (value && value.length < 16) {
      setError("Operator tokens have at least 16 characters (HUNDI_ORACLE_ADMIN_TOKEN).");
      return;
    }
    setError(null);
    setToken(value);
    try {
      if (value) window.sessionStorage.setItem(TOKEN_KEY, value);
      else window.sessionStorage.removeItem(TOKEN_KEY);
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <div data-testid="page-operator">
      <div className="page-head">
        <div>
          <h1>Operator</h1>
          <p className="muted">Health of the API, the indexer and the oracle node, and the reports in flight.</p>
        </div>
      </div>
      <div className="grid cols-2">
        <ApiHealth />
        <section className="card" data-testid="oracle-panel">
          <h2>Oracle node</h2>
          {!config ? (
            <Loading label="Loading the deployment settings…" />
          ) : (
            <>
              <p className="small muted">
                Node at <code>{config.oracleUrl}</code>
              </p>
              <OracleHealth base={oracleBase(config.oracleUrl)} />
              <form
                onSubmit={(event) => {
                  event.preventDefault();
                  save();
                }}
                style={{ marginTop: "0.75rem" }}
              >
                <div className="field">
                  <label htmlFor="operator-token">Operator token</label>
                  <input
                    id="operator-token"
                    type="password"
                    autoComplete="off"
                    value={draft}
                    onChange={(e) => setDraft(e.target.value)}
                    data-testid="operator-token"
                  />
                  <span className={error ? "problem" : "hint"}>
                    {error ?? "The node's HUNDI_ORACLE_ADMIN_TOKEN. Kept in this browser tab only."}
                  </span>
                </div>
                <button type="submit" className="secondary" data-testid="operator-token-save">
                  {token ? "Update token" : "Show status"}
                </button>
              </form>
            </>
          )}
        </section>
      </div>
      {config && token && (
        <section className="card">
          <h2>Reports</h2>
          <OracleStatusView base={oracleBase(config.oracleUrl)} token={token} />
        </section>
      )}
      {config && !token && (
        <div className="notice info" data-testid="operator-token-needed">
          <p>Enter the oracle's operator token to see pending, held and failed reports.</p>
        </div>
      )}
    </div>
  );
}
