/**
 * Live updates from the API's server-sent events (GET /api/v1/events). One EventSource for the whole app, opened
 * on the first subscriber and closed with the last; the browser reconnects on its own after a network blip.
 */
import { createStore, useStore } from "./store";

/** One chain event the indexer stored (the API's ChainEventMessage). */
export interface LiveEvent {
  /** The contract event name: InvoiceMinted, Invested, Claimed... */
  type: string;
  /** The parsed JSON payload (or the raw text when it is not JSON). */
  data: unknown;
  /** The invoice the event is about, when there is one. */
  invoiceId: number | null;
  /** The account the event is about (investor, seller), lowercase, when there is one. */
  account: string | null;
  /** The block the event is in: the indexer has stored every block up to it (it commits whole blocks). */
  block: number | null;
}

type Listener = (event: LiveEvent) => void;

const listeners = new Set<Listener>();
let source: EventSource | null = null;
let closeTimer: number | undefined;
/** The id of the last event seen: a new connection resumes after it, so navigating between pages loses nothing. */
let lastEventId: string | null = null;
const EVENT_ID = /^\d{1,18}-\d{1,9}$/;

export const liveStatus = createStore<{ state: "off" | "connecting" | "open" | "error" }>({ state: "off" });

export function useLiveStatus(): "off" | "connecting" | "open" | "error" {
  return useStore(liveStatus).state;
}

function invoiceIdOf(data: unknown): number | null {
  if (typeof data !== "object" || data === null) return null;
  const rec = data as Record<string, unknown>;
  const candidates = [rec.invoiceId, rec.invoice_id, (rec.args as Record<string, unknown> | undefined)?.invoiceId];
  for (const value of candidates) {
    if (typeof value === "number") return value;
    if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  }
  return null;
}

function open(): void {
  window.clearTimeout(closeTimer);
  if (source || typeof EventSource === "undefined") return;
  liveStatus.set({ state: "connecting" });
  source = new EventSource(lastEventId ? `/api/v1/events?lastEventId=${encodeURIComponent(lastEventId)}` : "/api/v1/events");
  source.onopen = () => liveStatus.set({ state: "open" });
  source.onerror = () => liveStatus.set({ state: source?.readyState === EventSource.CLOSED ? "error" : "connecting" });
  source.onmessage = (message: MessageEvent<string>) => {
    if (EVENT_ID.test(message.lastEventId)) lastEventId = message.lastEventId;
    let data: unknown = message.data;
    try {
      data = JSON.parse(message.data);
    } catch {
      // keep the raw text
    }
    const rec = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>;
    const event: LiveEvent = {
      type: typeof rec.event === "string" ? rec.event : "message",
      data,
      invoiceId: invoiceIdOf(data),
      account: typeof rec.account === "string" ? rec.account.toLowerCase() : null,
      block: typeof rec.block === "number" && Number.isSafeInteger(rec.block) ? rec.block : null,
    };
    for (const listener of listeners) listener(event);
  };
}

function close(): void {
  source?.close();
  source = null;
  liveStatus.set({ state: "off" });
}

/** Call `listener` for every live event until the returned function is called. */
export function onLiveEvent(listener: Listener): () => void {
  listeners.add(listener);
  open();
  return () => {
    listeners.delete(listener);
    // Keep the stream a moment: the next page usually subscribes right away.
    if (listeners.size === 0) closeTimer = window.setTimeout(() => listeners.size === 0 && close(), 5_000);
  };
}
