/**
 * The contract calls the dApp makes itself (the API builds only the funding transactions): encoded with the ABIs
 * generated from the build, sent to the addresses from /api/v1/config, through the one transaction runner.
 */
import { decodeEventLog, encodeFunctionData, type Hex, type TransactionReceipt } from "viem";
import { fundingEscrowAbi, invoiceTokenAbi, repaymentDistributorAbi } from "../generated/abis";
import { contractAddress, currentConfig } from "./config";
import { formatRupees } from "./format";
import { runSteps, type TxRequest } from "./tx";
import { clients } from "./wallet";

function address(name: string) {
  const config = currentConfig();
  if (!config) throw new Error("The deployment settings are not loaded yet. Reload the page.");
  return contractAddress(config, name);
}

export interface MintArgs {
  invoiceKey: Hex;
  buyerId: Hex;
  faceValue: bigint;
  issueDate: bigint;
  dueDate: bigint;
  docDigest: Hex;
  docCid: string;
}

export function mintStep(args: MintArgs): TxRequest {
  return {
    label: "Mint the invoice token",
    to: address("InvoiceToken"),
    data: encodeFunctionData({ abi: invoiceTokenAbi, functionName: "mint", args: [args] }),
  };
}

/** The invoice id minted in `receipt` (from its InvoiceMinted log), or null. */
export function mintedInvoiceId(receipt: TransactionReceipt): number | null {
  const token = address("InvoiceToken").toLowerCase();
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== token) continue;
    try {
      const event = decodeEventLog({ abi: invoiceTokenAbi, data: log.data, topics: log.topics });
      if (event.eventName === "InvoiceMinted") return Number(event.args.invoiceId);
    } catch {
      // another event of the token
    }
  }
  return null;
}

export function listStep(invoiceId: number, price: bigint, fundingDeadline: number, minTicket: bigint, decimals: number): TxRequest {
  return {
    label: `List invoice #${invoiceId} at ${formatRupees(price, { decimals })}`,
    to: address("FundingEscrow"),
    data: encodeFunctionData({
      abi: fundingEscrowAbi,
      functionName: "list",
      args: [BigInt(invoiceId), price, BigInt(fundingDeadline), minTicket],
    }),
  };
}

export function cancelStep(invoiceId: number): TxRequest {
  return {
    label: `Cancel the listing of invoice #${invoiceId}`,
    to: address("FundingEscrow"),
    data: encodeFunctionData({ abi: fundingEscrowAbi, functionName: "cancel", args: [BigInt(invoiceId)] }),
  };
}

export function refundStep(invoiceId: number): TxRequest {
  return {
    label: `Refund your principal from invoice #${invoiceId}`,
    to: address("FundingEscrow"),
    data: encodeFunctionData({ abi: fundingEscrowAbi, functionName: "refund", args: [BigInt(invoiceId)] }),
  };
}

export function claimStep(invoiceId: number): TxRequest {
  return {
    label: `Claim from invoice #${invoiceId}`,
    to: address("RepaymentDistributor"),
    data: encodeFunctionData({ abi: repaymentDistributorAbi, functionName: "claim", args: [BigInt(invoiceId)] }),
  };
}

export function claimManyStep(ids: number[]): TxRequest {
  return {
    label: `Claim from ${ids.length} invoice${ids.length === 1 ? "" : "s"}`,
    to: address("RepaymentDistributor"),
    data: encodeFunctionData({ abi: repaymentDistributorAbi, functionName: "claimMany", args: [ids.map(BigInt)] }),
  };
}

export function autoPayoutStep(enabled: boolean): TxRequest {
  return {
    label: enabled ? "Turn on automatic payouts" : "Turn off automatic payouts",
    to: address("RepaymentDistributor"),
    data: encodeFunctionData({ abi: repaymentDistributorAbi, functionName: "setAutoPayout", args: [enabled] }),
  };
}

/** The platform fee on a listing, read from FundingEscrow (basis points), or null when it cannot be read. */
export async function readListingFeeBps(): Promise<number | null> {
  const c = clients();
  if (!c) return null;
  try {
    const bps = await c.public.readContract({ address: address("FundingEscrow"), abi: fundingEscrowAbi, functionName: "feeBps" });
    return Number(bps);
  } catch {
    return null;
  }
}

export { runSteps };
