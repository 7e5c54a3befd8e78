/**
 * The on-chain identifiers of an invoice, recomputed in the browser when the SME corrects an OCR field, so the
 * mint carries exactly what the oracle will recompute from the document (CONTRACTS.md, InvoiceToken):
 *   invoiceKey = the e-invoice IRN: SHA-256 of supplier GSTIN + financial year (YYYY-YY) + "INV" + number;
 *   buyerId    = keccak256 of the buyer's GSTIN (upper case, no spaces).
 * Same rules as hundi.gst (the server and the oracle stay the authority; this only spares a failed round trip).
 */
import { keccak256, sha256, stringToBytes, type Hex } from "viem";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

export function normaliseGstin(text: string): string {
  return text.replace(/\s+/g, "").toUpperCase();
}

/** The 15th character of a GSTIN: Luhn mod 36 over the first 14 (weights 1, 2, 1, 2 ... from the left). */
export function gstinCheckChar(first14: string): string {
  let total = 0;
  for (let i = 0; i < 14; i += 1) {
    const value = ALPHABET.indexOf(first14[i] ?? "");
    if (value < 0) throw new Error(`${JSON.stringify(first14[i])} is not in 0-9A-Z`);
    const product = value * (i % 2 ? 2 : 1);
    total += Math.floor(product / 36) + (product % 36);
  }
  return ALPHABET[(36 - (total % 36)) % 36]!;
}

/** Why `text` is not a regular taxpayer's GSTIN (empty when it looks valid). */
export function gstinProblems(text: string): string[] {
  const gstin = normaliseGstin(text);
  if (!gstin) return ["enter the GSTIN"];
  if (gstin.length !== 15) return [`a GSTIN has 15 characters, this has ${gstin.length}`];
  if (!/^[0-9A-Z]{15}$/.test(gstin)) return ["a GSTIN has only 0-9 and A-Z"];
  const problems: string[] = [];
  if (!/^\d{2}$/.test(gstin.slice(0, 2))) problems.push("it must start with a two-digit state code");
  if (!/^[A-Z]{5}\d{4}[A-Z]$/.test(gstin.slice(2, 12))) problems.push("characters 3-12 must be a PAN (ABCDE1234F)");
  if (gstin[12] === "0") problems.push("character 13 (entity number) must be 1-9 or A-Z");
  if (gstin[13] !== "Z") problems.push("character 14 must be Z for a regular taxpayer");
  if (problems.length === 0) {
    const expected = gstinCheckChar(gstin.slice(0, 14));
    if (gstin[14] !== expected) problems.push(`the check character should be ${expected}: check for a typo`);
  }
  return problems;
}

/** Why the IRP would refuse this document number (empty when acceptable). */
export function docNumberProblems(text: string): string[] {
  if (!text) return ["enter the invoice number"];
  const problems: string[] = [];
  if (text.length > 16) problems.push("at most 16 characters");
  if (/[a-z]/.test(text)) problems.push("use upper-case letters");
  if (/[^A-Za-z0-9/-]/.test(text)) problems.push("only A-Z, 0-9, / and - are allowed");
  if (/^[0/-]/.test(text)) problems.push("it may not start with 0, / or -");
  return problems;
}

/** The Indian financial year (April-March) of a YYYY-MM-DD day, as YYYY-YY. */
export function financialYearOf(day: string): string {
  const [y, m] = day.split("-").map(Number) as [number, number];
  const start = m >= 4 ? y : y - 1;
  return `${start}-${String((start + 1) % 100).padStart(2, "0")}`;
}

/** invoiceKey: the IRN's 32 bytes. */
export function invoiceKeyOf(sellerGstin: string, issueDay: string, docNumber: string): Hex {
  const payload = `${normaliseGstin(sellerGstin)}${financialYearOf(issueDay)}INV${docNumber}`;
  return sha256(stringToBytes(payload));
}

/** buyerId: keccak256 of the normalised buyer GSTIN. */
export function buyerIdOf(buyerGstin: string): Hex {
  return keccak256(stringToBytes(normaliseGstin(buyerGstin)));
}
