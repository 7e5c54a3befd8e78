import { describe, expect, it } from "vitest";
import { buyerIdOf, docNumberProblems, financialYearOf, gstinCheckChar, gstinProblems, invoiceKeyOf } from "./invoiceKeys";

// Vectors computed with the project's Python implementation (hundi.gst.gstin / hundi.gst.irn).
const GSTIN = "27AAPFU0939F1ZV";

describe("GSTIN", () => {
  it("computes the Luhn mod 36 check character like hundi.gst", () => {
    expect(gstinCheckChar("27AAPFU0939F1Z")).toBe("V");
  });
  it("accepts a valid GSTIN, with spaces and lower case normalised", () => {
    expect(gstinProblems(GSTIN)).toEqual([]);
    expect(gstinProblems(" 27aapfu0939f1zv ")).toEqual([]);
  });
  it("names the problem of an invalid one", () => {
    expect(gstinProblems("27AAPFU0939F1ZW")[0]).toContain("check character should be V");
    expect(gstinProblems("27AAPFU0939F1Z")[0]).toContain("15 characters");
    expect(gstinProblems("")).toEqual(["enter the GSTIN"]);
  });
});

describe("document number", () => {
  it("follows the IRP pattern", () => {
    expect(docNumberProblems("INV-1001")).toEqual([]);
    expect(docNumberProblems("inv-1")).toContain("use upper-case letters");
    expect(docNumberProblems("0123")).toContain("it may not start with 0, / or -");
    expect(docNumberProblems("A".repeat(17))).toContain("at most 16 characters");
  });
});

describe("keys", () => {
  it("uses the April-March financial year", () => {
    expect(financialYearOf("2025-03-31")).toBe("2024-25");
    expect(financialYearOf("2025-04-01")).toBe("2025-26");
    expect(financialYearOf("2099-12-01")).toBe("2099-00");
  });
  it("computes invoiceKey (IRN) and buyerId like hundi.gst.irn", () => {
    expect(invoiceKeyOf(GSTIN, "2024-06-15", "INV-1001")).toBe(
      "0x1dd8a7eebbde372f738f7713fdf1f06229937e5466c0bc91cda51b19e9c3ca4f",
    );
    expect(buyerIdOf(GSTIN)).toBe("0xb8bd0057cfc2036299fb1b85cae6414834295f2310d330c454dd2ed0bf54c9a4");
  });
});
