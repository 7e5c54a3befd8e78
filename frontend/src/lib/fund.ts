/**
 * Funding a listing: the API checks the ticket against the chain and returns either the approve + fund
 * transactions or an EIP-2612 permit to sign plus the fundWithPermit call; the wallet signs and sends them.
 */
import { encodeFunctionData, parseSignature, type Address, type Hex } from "viem";
import { fundingEscrowAbi } from "../generated/abis";
import { api, unwrap, type Schemas } from "./api";
import { formatRupees } from "./format";
import { runSteps, type TxRequest } from "./tx";
import { walletStore } from "./wallet";

export type FundMode = "approve" | "permit";

/** Ask the API for the transactions, sign (permit mode) and send them; true when everything confirmed. */
export async function fundInvoice(invoiceId: number, amount: bigint, mode: FundMode, decimals: number): Promise<boolean> {
  const plan: Schemas["FundOut"] = unwrap(
    await api.POST("/api/v1/invoices/{invoice_id}/fund", {
      params: { path: { invoice_id: invoiceId } },
      body: { amount: amount.toString(), mode },
    }),
  );
  const rupees = formatRupees(amount, { decimals });
  if (mode === "approve") {
    const steps: TxRequest[] = plan.transactions.map((tx) => ({
      label: tx.data.startsWith("0x095ea7b3") ? `Approve ${rupees} for the escrow` : `Fund invoice #${invoiceId} with ${rupees}`,
      to: tx.to as Address,
      data: tx.data as Hex,
      value: BigInt(tx.value || "0"),
    }));
    return (await runSteps(steps)) !== null;
  }
  if (!plan.permit) throw new Error("The API returned no permit to sign. Try the approve + fund option.");
  const { active, account } = walletStore.get();
  if (!active || !account) throw new Error("Connect a wallet first.");
  // eth_signTypedData_v4 takes the typed data as a JSON string; the API already sends uints as decimal strings.
  const signature = (await active.provider.request({
    method: "eth_signTypedData_v4",
    params: [account, JSON.stringify(plan.permit.typedData)],
  })) as Hex;
  const { v, r, s, yParity } = parseSignature(signature);
  const call = plan.permit.call;
  const data = encodeFunctionData({
    abi: fundingEscrowAbi,
    functionName: "fundWithPermit",
    args: [
      BigInt(call.args.invoiceId ?? invoiceId),
      BigInt(call.args.amount ?? amount),
      BigInt(call.args.permitDeadline ?? "0"),
      Number(v ?? BigInt(yParity + 27)),
      r,
      s,
    ],
  });
  return (await runSteps([{ label: `Fund invoice #${invoiceId} with ${rupees} (permit)`, to: call.to as Address, data }])) !== null;
}
