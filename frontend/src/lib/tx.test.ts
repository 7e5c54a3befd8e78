import { encodeErrorResult, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { fundingEscrowAbi, invoiceTokenAbi } from "../generated/abis";
import { decodeRevert, findRevertData, formatRevert } from "./tx";

describe("revert decoding against the generated ABIs", () => {
  it("names a custom error and its arguments", () => {
    const data = encodeErrorResult({
      abi: fundingEscrowAbi,
      errorName: "AmountBelowMinTicket",
      args: [1_000_000n, 5_000_000n],
    });
    const revert = decodeRevert(data);
    expect(revert).toEqual({ name: "AmountBelowMinTicket", args: [1_000_000n, 5_000_000n] });
    expect(formatRevert(revert!)).toBe("AmountBelowMinTicket(amount: 1000000, minTicket: 5000000)");
  });

  it("decodes errors of every contract, e.g. InvoiceToken.DuplicateInvoice", () => {
    const key = `0x${"ab".repeat(32)}` as Hex;
    const data = encodeErrorResult({ abi: invoiceTokenAbi, errorName: "DuplicateInvoice", args: [key, 7n] });
    expect(decodeRevert(data)).toEqual({ name: "DuplicateInvoice", args: [key, 7n] });
  });

  it("falls back to Error(string) and returns null for unknown selectors", () => {
    const data = encodeErrorResult({
      abi: [{ type: "error", name: "Error", inputs: [{ name: "message", type: "string" }] }],
      errorName: "Error",
      args: ["nope"],
    });
    expect(decodeRevert(data)?.args).toEqual(["nope"]);
    expect(decodeRevert("0xdeadbeef")).toBeNull();
  });

  it("finds revert data in a wallet's nested EIP-1193 error", () => {
    const data = encodeErrorResult({ abi: fundingEscrowAbi, errorName: "ZeroAmount" });
    const walletError = { code: -32603, message: "execution reverted", data: { originalError: { data } } };
    expect(findRevertData({ message: "wrapped", cause: walletError })).toBe(data);
    expect(findRevertData({ code: 3, data })).toBe(data);
    expect(findRevertData(new Error("no data"))).toBeNull();
  });
});
