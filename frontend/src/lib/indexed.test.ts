import { describe, expect, it } from "vitest";
import { eventProvesIndexed, newestProvesIndexed } from "./indexed";

const event = (invoiceId: number | null, block: number | null, type = "Invested") => ({ type, invoiceId, block });

describe("proof that a minted invoice is indexed (so its page is never asked for early)", () => {
  it("accepts the invoice's own InvoiceMinted, or any later event about it", () => {
    expect(eventProvesIndexed(event(7, 120, "InvoiceMinted"), 7, 120)).toBe(true);
    expect(eventProvesIndexed(event(7, null, "InvoiceVerified"), 7, 120)).toBe(true);
  });
  it("accepts any event stored at or after the mint's block (whole blocks are committed at once)", () => {
    expect(eventProvesIndexed(event(3, 120), 7, 120)).toBe(true);
    expect(eventProvesIndexed(event(null, 121, "AutoPayoutSet"), 7, 120)).toBe(true);
  });
  it("refuses events of earlier blocks about other invoices, and events without a block", () => {
    expect(eventProvesIndexed(event(6, 119, "InvoiceMinted"), 7, 120)).toBe(false);
    expect(eventProvesIndexed(event(null, null, "message"), 7, 120)).toBe(false);
  });
  it("reads the seller's newest-first list: the newest id must reach the minted one", () => {
    expect(newestProvesIndexed([], 7)).toBe(false);
    expect(newestProvesIndexed([{ id: 6 }], 7)).toBe(false);
    expect(newestProvesIndexed([{ id: 7 }], 7)).toBe(true);
    expect(newestProvesIndexed([{ id: 9 }, { id: 7 }], 7)).toBe(true);
  });
});
