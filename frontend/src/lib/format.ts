/**
 * Display formatters. Amounts travel as strings of integer stablecoin base units (6 decimals) so no float ever
 * touches money; they are shown as rupees with Indian digit grouping (1,00,000.00). Dates are shown in IST, the
 * calendar the invoices and the oracle's checks use, whatever the browser's own time zone is.
 */

export const IST_TIME_ZONE = "Asia/Kolkata";

/** Group the digits of a non-negative integer string the Indian way: last three, then pairs (12,34,56,789). */
export function groupIndian(digits: string): string {
  if (!/^\d+$/.test(digits)) throw new Error(`not a digit string: ${JSON.stringify(digits)}`);
  const trimmed = digits.replace(/^0+(?=\d)/, "");
  if (trimmed.length <= 3) return trimmed;
  const head = trimmed.slice(0, -3);
  const tail = trimmed.slice(-3);
  const pairs: string[] = [];
  for (let end = head.length; end > 0; end -= 2) pairs.unshift(head.slice(Math.max(0, end - 2), end));
  return `${pairs.join(",")},${tail}`;
}

/** Parse an integer amount of base units from the API (a decimal string), a bigint or a safe integer. */
export function toBaseUnits(value: string | bigint | number): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`amount ${value} is not a safe integer of base units`);
    return BigInt(value);
  }
  if (!/^-?\d+$/.test(value.trim())) throw new Error(`amount ${JSON.stringify(value)} is not an integer of base units`);
  return BigInt(value.trim());
}

export interface RupeeOptions {
  /** Stablecoin decimals (6 unless /api/v1/config says otherwise). */
  decimals?: number;
  /** Fraction digits shown; the amount is rounded half away from zero to them. Default 2. */
  fractionDigits?: number;
  /** Prefix the rupee sign. Default true. */
  symbol?: boolean;
}

/** Base units -> "₹1,00,000.00" (Indian grouping, exact bigint arithmetic). */
export function formatRupees(value: string | bigint | number, options: RupeeOptions = {}): string {
  const { decimals = 6, fractionDigits = 2, symbol = true } = options;
  if (fractionDigits > decimals) throw new Error("fractionDigits cannot exceed the token's decimals");
  const units = toBaseUnits(value);
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const step = 10n ** BigInt(decimals - fractionDigits);
  // Round half away from zero at the shown precision.
  const scaled = (abs + step / 2n) / step;
  const unit = 10n ** BigInt(fractionDigits);
  const whole = groupIndian((scaled / unit).toString());
  const fraction = fractionDigits > 0 ? `.${(scaled % unit).toString().padStart(fractionDigits, "0")}` : "";
  const sign = negative && scaled !== 0n ? "-" : "";
  return `${sign}${symbol ? "₹" : ""}${whole}${fraction}`;
}

/** Compact rupees for tight spaces: ₹4.5 L, ₹1.2 Cr; below a lakh the full amount without paise. */
export function formatRupeesCompact(value: string | bigint | number, decimals = 6): string {
  const units = toBaseUnits(value);
  const rupees = units / 10n ** BigInt(decimals);
  const abs = rupees < 0n ? -rupees : rupees;
  const sign = rupees < 0n ? "-" : "";
  const scaled = (divisor: bigint, suffix: string): string => {
    const tenths = (abs * 10n + divisor / 2n) / divisor;
    const text = tenths % 10n === 0n ? `${groupIndian((tenths / 10n).toString())}` : `${groupIndian((tenths / 10n).toString())}.${tenths % 10n}`;
    return `${sign}₹${text} ${suffix}`;
  };
  if (abs >= 10_000_000n) return scaled(10_000_000n, "Cr");
  if (abs >= 100_000n) return scaled(100_000n, "L");
  return formatRupees(units, { decimals, fractionDigits: 0 });
}

/**
 * A rupee amount typed by a person ("1,00,000.50", "250000", "₹ 5,000") -> base units.
 * Returns null when it is not a well-formed non-negative amount with at most `decimals` fraction digits.
 */
export function parseRupees(text: string, decimals = 6): bigint | null {
  const cleaned = text.replace(/[₹,\s]/g, "").replace(/^Rs\.?/i, "");
  const match = /^(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return null;
  const fraction = match[2] ?? "";
  if (fraction.length > decimals) return null;
  return BigInt(match[1]!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0") || "0");
}

/** Base units -> the plain decimal string an input shows ("100000.5"), without grouping or symbol. */
export function baseUnitsToInput(value: string | bigint, decimals = 6): string {
  const units = toBaseUnits(value);
  const unit = 10n ** BigInt(decimals);
  const fraction = (units % unit).toString().padStart(decimals, "0").replace(/0+$/, "");
  return fraction ? `${units / unit}.${fraction}` : `${units / unit}`;
}

function toDate(value: number | string | Date): Date {
  if (value instanceof Date) return value;
  if (typeof value === "number") return new Date(value * 1000); // unix seconds, as the chain and the API use
  return new Date(value);
}

const dateFormat = new Intl.DateTimeFormat("en-IN", {
  timeZone: IST_TIME_ZONE,
  day: "2-digit",
  month: "short",
  year: "numeric",
});
const dateTimeFormat = new Intl.DateTimeFormat("en-IN", {
  timeZone: IST_TIME_ZONE,
  day: "2-digit",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

/** Unix seconds (or ISO text) -> "05 Mar 2026" on the IST calendar. */
export function formatDateIST(value: number | string | Date): string {
  return dateFormat.format(toDate(value));
}

/** Unix seconds (or ISO text) -> "05 Mar 2026, 17:30 IST". */
export function formatDateTimeIST(value: number | string | Date): string {
  return `${dateTimeFormat.format(toDate(value))} IST`;
}

/** The IST calendar day of a unix time as YYYY-MM-DD (what a date input holds). */
export function isoDayIST(value: number | string | Date): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: IST_TIME_ZONE,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(toDate(value));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** YYYY-MM-DD on the IST calendar -> unix seconds at noon IST that day (far from both day boundaries). */
export function istNoonUnix(day: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return null;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(y, m - 1, d, 12, 0, 0) - 330 * 60 * 1000; // 12:00 IST = 06:30 UTC
  const check = new Date(ms + 330 * 60 * 1000);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) return null;
  return Math.floor(ms / 1000);
}

/** YYYY-MM-DD -> "DD/MM/YYYY", the way dates are written in India (empty for anything else). */
export function isoToDmy(day: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day.trim());
  return match ? `${match[3]}/${match[2]}/${match[1]}` : "";
}

/** A day typed as DD/MM/YYYY -> { day: YYYY-MM-DD } or { problem } saying what to fix. */
export type DayParse = { day: string; problem?: undefined } | { day?: undefined; problem: string };

/**
 * Read a date typed by a person, day first as Indian invoices write it: "05/03/2026", "5-3-2026", "05.03.2026".
 * A pasted ISO date (2026-03-05) is accepted too. Two-digit years and impossible days (31/02) are refused with a
 * message, never guessed: a wrong due date would be signed into the token.
 */
export function parseDayDmy(text: string): DayParse {
  const cleaned = text.trim();
  if (cleaned === "") return { problem: "Enter the date as DD/MM/YYYY." };
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(cleaned);
  const dmy = /^(\d{1,2})[/.\-\s](\d{1,2})[/.\-\s](\d{2,4})$/.exec(cleaned);
  let y: string, m: string, d: string;
  if (iso) [y, m, d] = [iso[1]!, iso[2]!, iso[3]!];
  else if (dmy) [d, m, y] = [dmy[1]!, dmy[2]!, dmy[3]!];
  else return { problem: "Write the date as DD/MM/YYYY, e.g. 05/03/2026." };
  if (y.length !== 4) return { problem: "Write the year with four digits (DD/MM/YYYY)." };
  if (Number(m) < 1 || Number(m) > 12) return { problem: `There is no month ${Number(m)}: write DD/MM/YYYY, day first.` };
  const day = `${y}-${m.padStart(2, "0")}-${d.padStart(2, "0")}`;
  if (istNoonUnix(day) === null) return { problem: `${d.padStart(2, "0")}/${m.padStart(2, "0")}/${y} is not a real date.` };
  return { day };
}

/** Unix seconds -> "05/03/2026" on the IST calendar. */
export function formatDmyIST(value: number | string | Date): string {
  return isoToDmy(isoDayIST(value));
}

/** Unix seconds -> "Thu, 05 Mar 2026" on the IST calendar (the echo next to a typed date). */
export function formatLongDateIST(value: number | string | Date): string {
  return `${weekdayFormat.format(toDate(value))}, ${formatDateIST(value)}`;
}

const weekdayFormat = new Intl.DateTimeFormat("en-IN", { timeZone: IST_TIME_ZONE, weekday: "short" });

/** A fraction or percentage number -> "12.50%". `value` is in percent (12.5 means 12.5%). */
export function formatPercent(value: number | string | null | undefined, digits = 2): string {
  const n = typeof value === "string" ? Number(value) : value;
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return `${n.toFixed(digits)}%`;
}

/** Basis points -> "2.50%". */
export function formatBps(bps: number): string {
  return formatPercent(bps / 100);
}

/** 0x1234…abcd */
export function shortAddress(address: string | null | undefined): string {
  if (!address) return "—";
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/** A duration in whole days, for maturities: "1 day", "45 days". */
export function formatDays(days: number): string {
  return `${days} ${Math.abs(days) === 1 ? "day" : "days"}`;
}

/**
 * Annualised ROI of buying `face` for `price`, `days` before maturity: (face - price) / price * 365 / days,
 * in percent (the formula the API's expectedROI uses). Null when it is undefined.
 */
export function impliedRoiPercent(face: bigint, price: bigint, days: number): number | null {
  if (price <= 0n || days <= 0 || face < price) return null;
  // Scale before dividing so the bigint division keeps 4 decimal places of the percentage.
  const scaled = ((face - price) * 365n * 1_000_000n) / (price * BigInt(days));
  return Number(scaled) / 10_000;
}
