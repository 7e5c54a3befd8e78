/**
 * Waiting for the indexer without asking for what may not exist yet. Right after a mint, GET /invoices/{id}
 * answers 404 until the indexer has stored the block, and the browser logs every 404 as a console error. So the
 * app waits for proof that the invoice is indexed, from two sources, and only then loads it:
 *
 * - the live stream (/api/v1/events): the invoice's InvoiceMinted, any later event about it, or any event in
 *   the mint's block or after (the indexer stores whole block ranges in one transaction, so an event at block b
 *   means everything up to b is stored);
 * - a poll of an endpoint that always answers 200 with a list: the seller's invoices, newest first (ids only
 *   grow and the indexer stores them in order, so a newest id >= ours means ours is there). Without a seller,
 *   the platform stats' indexed block. The poll covers a stream that connected after the event went by.
 */
import { useEffect, useState } from "react";
import { api, unwrap } from "./api";
import { onLiveEvent, type LiveEvent } from "./events";

/** Milliseconds between polls while waiting. */
export const INDEXED_POLL_MS = 1_500;

/** Does this live event prove that invoice `invoiceId`, minted in block `mintedBlock`, is indexed? */
export function eventProvesIndexed(event: Pick<LiveEvent, "type" | "invoiceId" | "block">, invoiceId: number, mintedBlock: number): boolean {
  if (event.invoiceId === invoiceId) return true;
  return event.block !== null && event.block >= mintedBlock;
}

/** Does the seller's newest indexed invoice (first of the newest-first list) prove that `invoiceId` is indexed? */
export function newestProvesIndexed(items: readonly { id: number }[], invoiceId: number): boolean {
  const newest = items[0];
  return newest !== undefined && newest.id >= invoiceId;
}

async function pollOnce(invoiceId: number, mintedBlock: number, seller: string | null): Promise<boolean> {
  if (seller) {
    const page = unwrap(await api.GET("/api/v1/smes/{address}/invoices", { params: { path: { address: seller }, query: { limit: 1 } } }));
    return newestProvesIndexed(page.items, invoiceId);
  }
  const stats = unwrap(await api.GET("/api/v1/stats"));
  return stats.indexedBlock >= mintedBlock;
}

/**
 * True once invoice `invoiceId` (minted in `mintedBlock` by `seller`, the signed-in account) is in the API.
 * Never requests the invoice itself.
 */
export function useInvoiceIndexed(invoiceId: number, mintedBlock: number, seller: string | null): boolean {
  const [indexed, setIndexed] = useState<{ key: string; done: boolean }>({ key: "", done: false });
  const key = `${invoiceId}:${mintedBlock}:${seller ?? ""}`;
  const done = indexed.key === key && indexed.done;

  useEffect(() => {
    if (done) return;
    let stopped = false;
    const finish = (): void => {
      if (!stopped) setIndexed({ key, done: true });
    };
    const unsubscribe = onLiveEvent((event) => {
      if (eventProvesIndexed(event, invoiceId, mintedBlock)) finish();
    });
    const check = async (): Promise<void> => {
      try {
        if (await pollOnce(invoiceId, mintedBlock, seller)) finish();
      } catch {
        // The next tick retries; an API that stays down shows on the page's other queries.
      }
    };
    void check();
    const timer = window.setInterval(() => void check(), INDEXED_POLL_MS);
    return () => {
      stopped = true;
      unsubscribe();
      window.clearInterval(timer);
    };
  }, [done, key, invoiceId, mintedBlock, seller]);

  return done;
}
