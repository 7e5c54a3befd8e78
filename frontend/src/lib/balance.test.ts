import { describe, expect, it } from "vitest";
import { balanceChange } from "./balance";

describe("the wallet balance's last change", () => {
  it("is the signed difference between two reads of the same account", () => {
    expect(balanceChange(1_000_000n, 229_920_000_000n, 42)).toEqual({ delta: 229_919_000_000n, at: 42 });
    expect(balanceChange(5_000_000n, 2_000_000n, 7)).toEqual({ delta: -3_000_000n, at: 7 });
  });
  it("is nothing on the first read or when the balance did not move", () => {
    expect(balanceChange(null, 5n, 1)).toBeNull();
    expect(balanceChange(5n, 5n, 1)).toBeNull();
  });
});
