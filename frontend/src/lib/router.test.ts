import { describe, expect, it } from "vitest";
import { matchPath } from "./router";

describe("matchPath", () => {
  it("extracts params and ignores a trailing slash", () => {
    expect(matchPath("/invoices/:id", "/invoices/42")).toEqual({ id: "42" });
    expect(matchPath("/invoices/:id", "/invoices/42/")).toEqual({ id: "42" });
    expect(matchPath("/", "/")).toEqual({});
  });
  it("refuses other shapes", () => {
    expect(matchPath("/invoices/:id", "/invoices")).toBeNull();
    expect(matchPath("/invoices/:id", "/portfolio/42")).toBeNull();
    expect(matchPath("/sme", "/sme/new")).toBeNull();
  });
});
