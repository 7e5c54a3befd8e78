/** An amount of stablecoin base units shown as rupees (Indian grouping), with the exact value on hover. */
import type { ReactNode } from "react";
import { formatRupees } from "../lib/format";
import { useDecimals } from "../lib/config";

export function Money({ value, testId, compactPaise = false }: { value: string | bigint | null | undefined; testId?: string; compactPaise?: boolean }): ReactNode {
  const decimals = useDecimals();
  if (value === null || value === undefined || value === "") return <span className="num muted">—</span>;
  let text: string;
  let exact: string;
  try {
    text = formatRupees(value, { decimals, fractionDigits: compactPaise ? 0 : 2 });
    exact = formatRupees(value, { decimals, fractionDigits: decimals });
  } catch {
    return <span className="num muted">—</span>;
  }
  return (
    <span className="num" title={exact} data-testid={testId}>
      {text}
    </span>
  );
}
