/**
 * The SME flow: upload an invoice -> review the OCR-prefilled form (every field can be corrected) -> mint ->
 * wait for the oracle's verification -> list with a discount (seeing the investors' implied return) -> track
 * funding and settlement. Below it, the seller's invoices with their status.
 */
import { useEffect, useMemo, useState, type ReactNode } from "react";
import type { Hex } from "viem";
import { FundingProgress } from "../components/FundingProgress";
import { DateField } from "../components/DateField";
import { Gate } from "../components/Gate";
import { ListForm } from "../components/ListForm";
import { Money } from "../components/Money";
import { useWrongNetwork } from "../components/NetworkBanner";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { StatusBadge } from "../components/StatusBadge";
import { TxStatus } from "../components/TxStatus";
import { VerificationChecks } from "../components/VerificationChecks";
import { BalanceStat } from "../components/WalletBalance";
import { mintedInvoiceId, mintStep } from "../lib/actions";
import { api, ApiRequestError, describeError, unwrap, type Schemas } from "../lib/api";
import { useDecimals } from "../lib/config";
import { useInvoiceIndexed } from "../lib/indexed";
import { baseUnitsToInput, formatDateIST, formatRupees, isoToDmy, istNoonUnix, parseDayDmy } from "../lib/format";
import { buyerIdOf, docNumberProblems, gstinProblems, invoiceKeyOf, normaliseGstin } from "../lib/invoiceKeys";
import { useQuery } from "../lib/query";
import { Link } from "../lib/router";
import { runSteps, useTransaction } from "../lib/tx";
import { ROLE_SME, useWallet } from "../lib/wallet";

type Upload = Schemas["UploadOut"];

const MAX_BYTES = 10 * 1024 * 1024;
const ACCEPT = "application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg";
const CURRENT_KEY = "hundi.sell.current";

const STEPS = ["Upload", "Review & mint", "Verification", "List", "Funding & settlement"] as const;

function Steps({ current }: { current: number }): ReactNode {
  return (
    <ol className="steps" aria-label="Progress" data-testid="sell-steps" data-step={current}>
      {STEPS.map((label, index) => (
        <li key={label} className={index < current ? "done" : index === current ? "current" : ""} aria-current={index === current ? "step" : undefined}>
          {label}
        </li>
      ))}
    </ol>
  );
}

// --- step 1: upload ------------------------------------------------------------------------------------------

function UploadStep({ onUploaded }: { onUploaded: (upload: Upload) => void }): ReactNode {
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; existing?: number } | null>(null);

  let problem: string | null = null;
  if (file && file.size > MAX_BYTES) problem = `The file is ${(file.size / 1024 / 1024).toFixed(1)} MB; the limit is 10 MB.`;
  else if (file && file.size === 0) problem = "The file is empty.";

  const submit = async (): Promise<void> => {
    if (!file || problem) return;
    setBusy(true);
    setError(null);
    try {
      const form = new FormData();
      form.append("file", file, file.name);
      const result = await api.POST("/api/v1/invoices/upload", {
        body: form as never,
        bodySerializer: (body: unknown) => body as FormData,
      });
      onUploaded(unwrap(result));
    } catch (err) {
      const existing =
        err instanceof ApiRequestError && err.code === "duplicate_invoice"
          ? Number((err.detail as { invoiceId?: number } | undefined)?.invoiceId)
          : undefined;
      setError({ message: describeError(err), existing: Number.isFinite(existing) ? existing : undefined });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="card"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
      data-testid="upload-form"
    >
      <h2>1. Upload the invoice</h2>
      <p className="muted small">
        A GST invoice as PDF, PNG or JPEG, up to 10 MB. It is encrypted before it is stored; only you and the oracle
        operators can read it. We read the fields for you, and you can correct them before minting.
      </p>
      <div className="field">
        <label htmlFor="invoice-file">Invoice file</label>
        <input
          id="invoice-file"
          type="file"
          accept={ACCEPT}
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          aria-invalid={problem ? true : undefined}
          data-testid="upload-file"
        />
        {problem && <span className="problem">{problem}</span>}
      </div>
      {error && (
        <div className="notice bad" role="alert" data-testid="upload-error">
          <p>
            {error.message}
            {error.existing !== undefined && (
              <>
                {" "}
                <Link to={`/invoices/${error.existing}`}>See invoice #{error.existing}</Link>
              </>
            )}
          </p>
        </div>
      )}
      <button type="submit" disabled={!file || Boolean(problem) || busy} data-testid="upload-submit">
        {busy ? (
          <>
            <span className="spinner" aria-hidden="true" /> Reading the invoice…
          </>
        ) : (
          "Upload and read"
        )}
      </button>
    </form>
  );
}

// --- step 2: review and mint ---------------------------------------------------------------------------------

interface FormFields {
  invoiceNumber: string;
  sellerGstin: string;
  buyerGstin: string;
  issueDate: string;
  dueDate: string;
  total: string;
}

function Confidence({ field }: { field: Schemas["FieldOut"] | null | undefined }): ReactNode {
  if (!field) return <span className="confidence low">not found</span>;
  const c = field.confidence;
  const tone = c >= 0.9 ? "high" : c >= 0.8 ? "mid" : "low";
  return (
    <span className={`confidence ${tone}`} title={`Read from: ${field.source}`}>
      {Math.round(c * 100)}% sure
    </span>
  );
}

function prefill(upload: Upload, decimals: number): FormFields {
  const value = (name: string): string => upload.fields[name]?.value ?? "";
  const total = upload.faceValue ? baseUnitsToInput(upload.faceValue, decimals) : value("total");
  return {
    invoiceNumber: value("invoiceNumber"),
    sellerGstin: value("sellerGstin"),
    buyerGstin: value("buyerGstin"),
    // The OCR gives ISO days; the form shows them day first. Anything else stays as read, for the SME to fix.
    issueDate: isoToDmy(value("issueDate")) || value("issueDate"),
    dueDate: isoToDmy(value("dueDate")) || value("dueDate"),
    total,
  };
}

function ReviewStep({
  upload,
  onMinted,
  onRestart,
}: {
  upload: Upload;
  onMinted: (id: number, block: number, seller: string) => void;
  onRestart: () => void;
}): ReactNode {
  const decimals = useDecimals();
  const tx = useTransaction();
  const wrongNetwork = useWrongNetwork();
  const [form, setForm] = useState<FormFields>(() => prefill(upload, decimals));
  const [mintError, setMintError] = useState<string | null>(null);
  const set = (patch: Partial<FormFields>): void => setForm((f) => ({ ...f, ...patch }));

  useEffect(() => tx.reset(), [tx.reset]);

  const problems: Partial<Record<keyof FormFields, string>> = {};
  const docProblems = docNumberProblems(form.invoiceNumber.trim());
  if (docProblems.length) problems.invoiceNumber = docProblems.join("; ");
  const sellerProblems = gstinProblems(form.sellerGstin);
  if (sellerProblems.length) problems.sellerGstin = sellerProblems.join("; ");
  const buyerProblems = gstinProblems(form.buyerGstin);
  if (buyerProblems.length) problems.buyerGstin = buyerProblems.join("; ");
  const issueParsed = parseDayDmy(form.issueDate);
  const dueParsed = parseDayDmy(form.dueDate);
  const issueDay = issueParsed.day ?? null;
  const issue = issueDay ? istNoonUnix(issueDay) : null;
  const due = dueParsed.day ? istNoonUnix(dueParsed.day) : null;
  if (issue === null) problems.issueDate = form.issueDate.trim() ? issueParsed.problem : "Enter the invoice date (DD/MM/YYYY).";
  if (due === null) problems.dueDate = form.dueDate.trim() ? dueParsed.problem : "Enter the due date (DD/MM/YYYY).";
  else if (due <= Date.now() / 1000) problems.dueDate = "Only invoices not yet due can be financed.";
  else if (issue !== null && issue > due) problems.dueDate = "The due date cannot be before the invoice date.";
  const face = (() => {
    const cleaned = form.total.replace(/[₹,\s]/g, "");
    if (!/^\d+(\.\d{1,2})?$/.test(cleaned)) return null;
    const [whole, fraction = ""] = cleaned.split(".");
    return BigInt(whole!) * 10n ** BigInt(decimals) + BigInt((fraction.padEnd(2, "0") + "0".repeat(decimals)).slice(0, decimals));
  })();
  if (face === null) problems.total = "Enter the invoice total in rupees, with at most two decimals (paise).";
  else if (face === 0n) problems.total = "The total must be above zero.";
  const valid = Object.keys(problems).length === 0;

  const mintArgs = useMemo(() => {
    if (!valid || face === null || issue === null || due === null || issueDay === null) return null;
    return {
      invoiceKey: invoiceKeyOf(form.sellerGstin, issueDay, form.invoiceNumber.trim()),
      buyerId: buyerIdOf(form.buyerGstin),
      faceValue: face,
      issueDate: BigInt(issue),
      dueDate: BigInt(due),
      docDigest: upload.docDigest as Hex,
      docCid: upload.documentCid,
    };
  }, [valid, face, issue, due, issueDay, form, upload]);

  const corrected =
    mintArgs !== null &&
    upload.mintRequest !== null &&
    (mintArgs.invoiceKey !== upload.mintRequest.args.invoiceKey ||
      mintArgs.buyerId !== upload.mintRequest.args.buyerId ||
      mintArgs.faceValue.toString() !== upload.mintRequest.args.faceValue ||
      Number(mintArgs.issueDate) !== upload.mintRequest.args.issueDate ||
      Number(mintArgs.dueDate) !== upload.mintRequest.args.dueDate);

  const mint = async (): Promise<void> => {
    if (!mintArgs) return;
    setMintError(null);
    try {
      const receipts = await runSteps([mintStep(mintArgs)]);
      const receipt = receipts?.[0];
      if (!receipt) return;
      const id = mintedInvoiceId(receipt);
      if (id === null) setMintError("The transaction confirmed but carried no InvoiceMinted event. Check your invoices below.");
      else onMinted(id, Number(receipt.blockNumber), receipt.from.toLowerCase());
    } catch (err) {
      setMintError(describeError(err));
    }
  };

  const field = (name: keyof FormFields, label: string, props: { hint?: string; inputMode?: "decimal" | "text" } = {}): ReactNode => (
    <div className="field">
      <label htmlFor={`mint-${name}`}>
        {label}
        <Confidence field={upload.fields[name === "total" ? "total" : name]} />
      </label>
      <input
        id={`mint-${name}`}
        type="text"
        inputMode={props.inputMode}
        value={form[name]}
        onChange={(e) => set({ [name]: e.target.value } as Partial<FormFields>)}
        onBlur={() => {
          if (name === "sellerGstin" || name === "buyerGstin") set({ [name]: normaliseGstin(form[name]) } as Partial<FormFields>);
        }}
        aria-invalid={problems[name] ? true : undefined}
        aria-describedby={`mint-${name}-hint`}
        data-testid={`mint-${name}`}
      />
      <span id={`mint-${name}-hint`} className={problems[name] ? "problem" : "hint"}>
        {problems[name] ?? props.hint ?? ""}
      </span>
    </div>
  );

  return (
    <form
      className="card"
      onSubmit={(event) => {
        event.preventDefault();
        void mint();
      }}
      data-testid="review-form"
    >
      <h2>2. Check the details and mint</h2>
      <p className="muted small">
        Read from <strong>{upload.file.filename ?? "your file"}</strong> ({upload.method === "ocr" ? "scanned" : "text"}
        , {upload.pages} page{upload.pages === 1 ? "" : "s"}). Correct anything that is wrong: the oracle compares these
        values with the document before the invoice can be listed.
      </p>
      {upload.warnings.length > 0 && (
        <div className="notice warn" data-testid="upload-warnings">
          <ul style={{ margin: 0, paddingLeft: "1.1rem" }}>
            {upload.warnings.map((warning) => (
              <li key={warning}>{warning}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="form-grid">
        {field("invoiceNumber", "Invoice number", { hint: "As printed, e.g. INV-1001" })}
        {field("total", "Invoice total (₹)", { inputMode: "decimal", hint: face ? `Face value ${formatRupees(face, { decimals })}` : "" })}
        {field("sellerGstin", "Your GSTIN (seller)")}
        {field("buyerGstin", "Buyer's GSTIN")}
        <DateField
          id="mint-issueDate"
          testId="mint-issueDate"
          label={
            <>
              Invoice date
              <Confidence field={upload.fields.issueDate} />
            </>
          }
          value={form.issueDate}
          onChange={(text) => set({ issueDate: text })}
          problem={problems.issueDate}
        />
        <DateField
          id="mint-dueDate"
          testId="mint-dueDate"
          label={
            <>
              Due date
              <Confidence field={upload.fields.dueDate} />
            </>
          }
          value={form.dueDate}
          onChange={(text) => set({ dueDate: text })}
          problem={problems.dueDate}
        />
      </div>
      {corrected && (
        <p className="small muted" data-testid="mint-corrected">
          You changed values read from the document; the invoice key and buyer id were recomputed from your entries.
        </p>
      )}
      {mintError && (
        <div className="notice bad" role="alert">
          <p>{mintError}</p>
        </div>
      )}
      <TxStatus state={tx.state} onDismiss={tx.reset} />
      <div style={{ display: "flex", gap: "0.5rem", flexWrap: "wrap" }}>
        <button type="submit" disabled={!valid || tx.busy || wrongNetwork} data-testid="mint-submit">
          {tx.busy ? "Working…" : "Mint invoice token"}
        </button>
        <button type="button" className="secondary" onClick={onRestart} disabled={tx.busy}>
          Upload another file
        </button>
      </div>
    </form>
  );
}

// --- steps 3-5: verification, listing, settlement ------------------------------------------------------------

function TrackStep({
  invoiceId,
  mintedBlock,
  seller,
  onDone,
  onStatus,
}: {
  invoiceId: number;
  mintedBlock: number;
  /** The signed-in seller when it minted this invoice (its invoice list proves the invoice is indexed). */
  seller: string | null;
  onDone: () => void;
  onStatus: (status: string) => void;
}): ReactNode {
  // The API knows the invoice only once the indexer has stored the mint's block: wait for proof of that (a live
  // event, or the seller's invoice list) instead of asking for the invoice and getting a 404 meanwhile.
  const indexed = useInvoiceIndexed(invoiceId, mintedBlock, seller);
  const query = useQuery(
    async () => unwrap(await api.GET("/api/v1/invoices/{invoice_id}", { params: { path: { invoice_id: invoiceId } } })),
    [invoiceId],
    { enabled: indexed, live: (event) => event.invoiceId === invoiceId },
  );
  // Verification comes from the oracle: the live events refresh the page, and a slow poll covers a dropped stream.
  useEffect(() => {
    if (!indexed || (query.data && query.data.status !== "Minted")) return;
    const timer = window.setInterval(query.reload, 5000);
    return () => window.clearInterval(timer);
  }, [indexed, query.data, query.reload]);

  const invoice = query.data;
  useEffect(() => {
    if (invoice) onStatus(invoice.status);
  }, [invoice, onStatus]);
  if (!invoice) {
    if (query.error) {
      return <ErrorState title={`Cannot load invoice #${invoiceId}`} message={query.error} onRetry={query.reload} />;
    }
    return <Loading label={`Invoice #${invoiceId} is minted. Waiting for the indexer…`} testId="track-waiting" />;
  }
  const status = invoice.status;
  return (
    <section className="card" data-testid="track-invoice" data-status={status}>
      <h2>
        Invoice #{invoice.id} <StatusBadge status={status} />
      </h2>
      <p className="muted small">
        <Money value={invoice.amount} /> due {formatDateIST(invoice.dueDate)} · <Link to={`/invoices/${invoice.id}`}>Full details and timeline</Link>
      </p>
      {status === "Minted" && (
        <div className="notice info" data-testid="awaiting-verification">
          <p>
            <span className="spinner" aria-hidden="true" /> The oracle is checking the document, GSTINs and IRN. This
            usually takes under a minute; this page updates by itself.
          </p>
        </div>
      )}
      {status === "Rejected" && (
        <div className="notice bad" data-testid="rejected">
          <p>
            The oracle rejected this invoice: the failed checks are marked below. Burnable and re-mintable with
            corrected details.
          </p>
        </div>
      )}
      {(status === "Minted" || status === "Verified" || status === "Rejected") && (
        <VerificationChecks checks={invoice.checks} status={status} />
      )}
      {status === "Verified" && (
        <div style={{ marginTop: "1rem" }}>
          <h3>4. List it for funding</h3>
          <ListForm invoiceId={invoice.id} faceValue={invoice.amount} dueDate={invoice.dueDate} onListed={query.reload} />
        </div>
      )}
      {invoice.listing && (
        <div style={{ marginTop: "1rem" }} data-testid="settlement">
          <h3>5. Funding and settlement</h3>
          <FundingProgress percent={invoice.listing.fundedPercent} raised={invoice.listing.raised} price={invoice.listing.price} />
          <dl className="facts small" style={{ marginTop: "0.75rem" }}>
            <dt>Advance</dt>
            <dd>
              {status === "Listed"
                ? "Paid to you the moment the listing is fully funded"
                : invoice.listing.state === "Cancelled"
                  ? "None: the listing was cancelled"
                  : "Paid"}
            </dd>
            <dt>Repaid by the buyer</dt>
            <dd>
              <Money value={invoice.totalRepaid} /> of <Money value={invoice.amount} />
            </dd>
            {BigInt(invoice.surplusPaid) > 0n && (
              <>
                <dt>Surplus returned to you</dt>
                <dd>
                  <Money value={invoice.surplusPaid} />
                </dd>
              </>
            )}
          </dl>
        </div>
      )}
      <button type="button" className="secondary" style={{ marginTop: "1rem" }} onClick={onDone} data-testid="sell-another">
        Sell another invoice
      </button>
    </section>
  );
}

// --- the seller's invoices -----------------------------------------------------------------------------------

const STATUS_FILTERS = ["", "Minted", "Verified", "Rejected", "Listed", "Funded", "Repaid", "Defaulted", "Cancelled"] as const;

function MyInvoices({ address }: { address: string }): ReactNode {
  const [status, setStatus] = useState<(typeof STATUS_FILTERS)[number]>("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const query = useQuery(
    async () =>
      unwrap(
        await api.GET("/api/v1/smes/{address}/invoices", {
          params: { path: { address }, query: { status: status || undefined, limit: 10, cursor: cursor ?? undefined } },
        }),
      ),
    [address, status, cursor],
    { live: (event) => event.account === address.toLowerCase() || event.invoiceId !== null },
  );
  return (
    <section className="card" data-testid="my-invoices">
      <div className="page-head" style={{ marginBottom: "0.5rem" }}>
        <h2 style={{ margin: 0 }}>Your invoices</h2>
        <div className="field" style={{ margin: 0, minWidth: 160 }}>
          <label htmlFor="my-status" className="visually-hidden">
            Filter by status
          </label>
          <select
            id="my-status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as (typeof STATUS_FILTERS)[number]);
              setCursors([null]);
            }}
            data-testid="my-invoices-status"
          >
            {STATUS_FILTERS.map((s) => (
              <option key={s} value={s}>
                {s || "All statuses"}
              </option>
            ))}
          </select>
        </div>
      </div>
      {query.error && !query.data && <ErrorState title="Cannot load your invoices" message={query.error} onRetry={query.reload} />}
      {!query.error && !query.data && <Loading label="Loading your invoices…" />}
      {query.data && query.data.items.length === 0 && (
        <p className="muted" data-testid="my-invoices-empty">
          {status ? `No invoices with status ${status}.` : "You have not minted an invoice yet. Upload one above to start."}
        </p>
      )}
      {query.data && query.data.items.length > 0 && (
        <div className="table-wrap">
          <table className="responsive">
            <thead>
              <tr>
                <th>Invoice</th>
                <th className="right">Face value</th>
                <th>Due (IST)</th>
                <th>Status</th>
                <th className="right">Raised</th>
                <th className="right">Repaid</th>
              </tr>
            </thead>
            <tbody>
              {query.data.items.map((inv) => (
                <tr key={inv.id} data-testid="my-invoice-row" data-invoice-id={inv.id} data-status={inv.status}>
                  <td data-label="Invoice">
                    <Link to={`/invoices/${inv.id}`}>#{inv.id}</Link>
                  </td>
                  <td data-label="Face value" className="right">
                    <Money value={inv.amount} />
                  </td>
                  <td data-label="Due">{formatDateIST(inv.dueDate)}</td>
                  <td data-label="Status">
                    <StatusBadge status={inv.status} />
                  </td>
                  <td data-label="Raised" className="right">
                    {inv.raised != null && inv.price != null ? (
                      <span className="num">
                        <Money value={inv.raised} compactPaise /> / <Money value={inv.price} compactPaise />
                      </span>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td data-label="Repaid" className="right">
                    <Money value={inv.totalRepaid} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div style={{ display: "flex", gap: "0.5rem", marginTop: "0.75rem" }}>
        {cursors.length > 1 && (
          <button type="button" className="secondary small" onClick={() => setCursors((c) => c.slice(0, -1))}>
            Previous
          </button>
        )}
        {query.data?.nextCursor && (
          <button type="button" className="secondary small" onClick={() => setCursors((c) => [...c, query.data!.nextCursor])} data-testid="my-invoices-next">
            Next
          </button>
        )}
      </div>
    </section>
  );
}

// --- the page ------------------------------------------------------------------------------------------------

interface Current {
  id: number;
  block: number;
  /** The account that minted it (lowercase). */
  seller: string | null;
}

function readCurrent(): Current | null {
  try {
    const raw = JSON.parse(window.sessionStorage.getItem(CURRENT_KEY) ?? "null") as Partial<Current> | null;
    if (!raw || !Number.isSafeInteger(raw.id) || !Number.isSafeInteger(raw.block)) return null;
    const seller = typeof raw.seller === "string" && /^0x[0-9a-f]{40}$/.test(raw.seller) ? raw.seller : null;
    return { id: raw.id!, block: raw.block!, seller };
  } catch {
    return null;
  }
}

export function SellPage(): ReactNode {
  const { session, account } = useWallet();
  const [upload, setUpload] = useState<Upload | null>(null);
  const [minted, setMinted] = useState<Current | null>(readCurrent);
  const [trackStatus, setTrackStatus] = useState<string>("Minted");

  const remember = (current: Current | null): void => {
    setMinted(current);
    try {
      if (current === null) window.sessionStorage.removeItem(CURRENT_KEY);
      else window.sessionStorage.setItem(CURRENT_KEY, JSON.stringify(current));
    } catch {
      // storage refused: the flow still works until reload
    }
  };

  const trackStep = trackStatus === "Verified" ? 3 : ["Minted", "Rejected"].includes(trackStatus) ? 2 : 4;
  const step = minted !== null ? trackStep : upload ? 1 : 0;
  return (
    <div data-testid="page-sell">
      <div className="page-head">
        <div>
          <h1>Sell an invoice</h1>
          <p className="muted">Turn an unpaid GST invoice into working capital: mint it, list it at a discount, get the advance when it is funded.</p>
        </div>
        {account && <BalanceStat testId="sme-balance" label="Your wallet balance" />}
      </div>
      <Gate role={ROLE_SME} roleName="SME" action="sell invoices">
        <Steps current={step} />
        {step === 0 && <UploadStep onUploaded={setUpload} />}
        {step === 1 && upload && (
          <ReviewStep
            upload={upload}
            onRestart={() => setUpload(null)}
            onMinted={(id, block, seller) => {
              setUpload(null);
              setTrackStatus("Minted");
              remember({ id, block, seller });
            }}
          />
        )}
        {minted !== null && (
          <TrackStep
            invoiceId={minted.id}
            mintedBlock={minted.block}
            seller={session && minted.seller === session.address ? minted.seller : null}
            onDone={() => remember(null)}
            onStatus={setTrackStatus}
          />
        )}
        {session && <MyInvoices address={session.address} />}
      </Gate>
      {!session && (
        <EmptyState title="How selling works" testId="sell-intro">
          <p>
            1. Upload the invoice · 2. Check the fields we read and mint it as a token · 3. The oracle verifies it ·
            4. List it at a discount · 5. Receive the advance when investors fund it; they are paid when your buyer pays.
          </p>
        </EmptyState>
      )}
    </div>
  );
}
