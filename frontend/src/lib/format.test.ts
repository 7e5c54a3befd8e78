import { describe, expect, it } from "vitest";
import {
  baseUnitsToInput,
  formatDateIST,
  formatDateTimeIST,
  formatPercent,
  formatRupees,
  formatRupeesCompact,
  groupIndian,
  formatDmyIST,
  formatLongDateIST,
  impliedRoiPercent,
  isoDayIST,
  isoToDmy,
  istNoonUnix,
  parseDayDmy,
  parseRupees,
} from "./format";

describe("groupIndian", () => {
  it.each([
    ["0", "0"],
    ["999", "999"],
    ["1000", "1,000"],
    ["100000", "1,00,000"],
    ["1234567", "12,34,567"],
    ["10000000", "1,00,00,000"],
    ["123456789012", "1,23,45,67,89,012"],
    ["000123", "123"],
  ])("%s -> %s", (input, expected) => {
    expect(groupIndian(input)).toBe(expected);
  });

  it("rejects anything but digits", () => {
    expect(() => groupIndian("12a")).toThrow();
    expect(() => groupIndian("-1")).toThrow();
  });
});

describe("formatRupees", () => {
  it("shows one lakh of 6-decimal base units with Indian grouping and paise", () => {
    expect(formatRupees("100000000000")).toBe("₹1,00,000.00");
  });
  it("keeps paise exactly, without float loss, on amounts above 2^53", () => {
    // 98,76,54,32,10,98,765.43 rupees: 9876543210987654321 base units... rounded to paise
    expect(formatRupees("9876543210987654321")).toBe("₹98,76,54,32,10,987.65");
  });
  it("rounds half away from zero at the paise", () => {
    expect(formatRupees("1005000")).toBe("₹1.01");
    expect(formatRupees("1004999")).toBe("₹1.00");
    expect(formatRupees(-1005000n)).toBe("-₹1.01");
  });
  it("shows zero and sub-paise amounts as zero, never -0", () => {
    expect(formatRupees("0")).toBe("₹0.00");
    expect(formatRupees(-1n)).toBe("₹0.00");
  });
  it("honours decimals, fraction digits and the symbol option", () => {
    expect(formatRupees(123456789n, { decimals: 2, fractionDigits: 0, symbol: false })).toBe("12,34,568");
    expect(formatRupees(5n, { decimals: 0, fractionDigits: 0 })).toBe("₹5");
  });
  it("refuses non-integer input rather than guessing", () => {
    expect(() => formatRupees("1.5")).toThrow();
    expect(() => formatRupees(1.5)).toThrow();
  });
});

describe("formatRupeesCompact", () => {
  it("uses lakh and crore", () => {
    expect(formatRupeesCompact(450_000_000_000n)).toBe("₹4.5 L");
    expect(formatRupeesCompact(12_000_000_000_000n)).toBe("₹1.2 Cr");
    expect(formatRupeesCompact(100_000_000_000n)).toBe("₹1 L");
    expect(formatRupeesCompact(99_999_000_000n)).toBe("₹99,999");
  });
});

describe("parseRupees", () => {
  it("reads grouped, symbol-prefixed and plain amounts into base units", () => {
    expect(parseRupees("1,00,000.50")).toBe(100_000_500_000n);
    expect(parseRupees("₹ 5,000")).toBe(5_000_000_000n);
    expect(parseRupees("250000")).toBe(250_000_000_000n);
    expect(parseRupees("0.000001")).toBe(1n);
  });
  it("returns null for malformed or over-precise input", () => {
    expect(parseRupees("")).toBeNull();
    expect(parseRupees("-5")).toBeNull();
    expect(parseRupees("1.0000001")).toBeNull();
    expect(parseRupees("1e6")).toBeNull();
    expect(parseRupees("abc")).toBeNull();
  });
  it("round-trips with baseUnitsToInput", () => {
    for (const value of ["1", "100000.5", "0.000001", "12345678.123456"]) {
      expect(baseUnitsToInput(parseRupees(value)!)).toBe(value);
    }
  });
});

describe("IST dates", () => {
  // 2026-03-31T20:00:00Z is already 1 April 2026 01:30 in India.
  const lateUtc = Date.UTC(2026, 2, 31, 20, 0, 0) / 1000;

  it("formats unix seconds on the IST calendar whatever the runner's zone", () => {
    expect(formatDateIST(lateUtc)).toBe("01 Apr 2026");
    expect(formatDateTimeIST(lateUtc)).toBe("01 Apr 2026, 01:30 IST");
    expect(isoDayIST(lateUtc)).toBe("2026-04-01");
  });
  it("accepts ISO text", () => {
    expect(formatDateIST("2026-01-15T00:00:00Z")).toBe("15 Jan 2026");
  });
  it("maps a calendar day to noon IST and back", () => {
    const noon = istNoonUnix("2026-04-01")!;
    expect(noon).toBe(Date.UTC(2026, 3, 1, 6, 30) / 1000);
    expect(isoDayIST(noon)).toBe("2026-04-01");
  });
  it("rejects impossible days", () => {
    expect(istNoonUnix("2026-02-30")).toBeNull();
    expect(istNoonUnix("01/04/2026")).toBeNull();
  });
});

describe("DD/MM/YYYY dates", () => {
  it("writes ISO days day first", () => {
    expect(isoToDmy("2026-03-05")).toBe("05/03/2026");
    expect(isoToDmy("")).toBe("");
    expect(isoToDmy("05/03/2026")).toBe("");
  });
  it("reads day-first dates with any usual separator, and pasted ISO dates", () => {
    expect(parseDayDmy("05/03/2026")).toEqual({ day: "2026-03-05" });
    expect(parseDayDmy(" 5-3-2026 ")).toEqual({ day: "2026-03-05" });
    expect(parseDayDmy("05.03.2026")).toEqual({ day: "2026-03-05" });
    expect(parseDayDmy("2026-03-05")).toEqual({ day: "2026-03-05" });
  });
  it("reads 04/05 as 4 May, never as April 5th", () => {
    expect(parseDayDmy("04/05/2026")).toEqual({ day: "2026-05-04" });
  });
  it("refuses impossible days, month-first days, two-digit years and junk with a message", () => {
    expect(parseDayDmy("31/02/2026").problem).toMatch(/not a real date/);
    expect(parseDayDmy("03/25/2026").problem).toMatch(/no month 25/);
    expect(parseDayDmy("05/03/26").problem).toMatch(/four digits/);
    expect(parseDayDmy("tomorrow").problem).toMatch(/DD\/MM\/YYYY/);
    expect(parseDayDmy("").problem).toMatch(/DD\/MM\/YYYY/);
  });
  it("shows unix times as DD/MM/YYYY and as a long date on the IST calendar", () => {
    const lateUtc = Date.UTC(2026, 2, 31, 20, 0, 0) / 1000; // 1 April 01:30 in India
    expect(formatDmyIST(lateUtc)).toBe("01/04/2026");
    expect(formatLongDateIST(lateUtc)).toBe("Wed, 01 Apr 2026");
  });
});

describe("impliedRoiPercent", () => {
  it("annualises the discount like the API's expectedROI", () => {
    // face 1,00,000, price 97,000, 90 days: 3000/97000*365/90 = 12.5429...%
    const roi = impliedRoiPercent(100_000_000_000n, 97_000_000_000n, 90)!;
    expect(roi).toBeCloseTo(12.5429, 3);
  });
  it("is undefined without a discount window", () => {
    expect(impliedRoiPercent(100n, 0n, 30)).toBeNull();
    expect(impliedRoiPercent(100n, 90n, 0)).toBeNull();
    expect(impliedRoiPercent(100n, 120n, 30)).toBeNull();
  });
});

describe("formatPercent", () => {
  it("formats numbers and numeric strings, with a dash for missing values", () => {
    expect(formatPercent(12.5)).toBe("12.50%");
    expect(formatPercent("7.125", 1)).toBe("7.1%");
    expect(formatPercent(null)).toBe("—");
    expect(formatPercent(Number.NaN)).toBe("—");
  });
});
