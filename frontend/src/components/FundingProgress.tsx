/** How much of a listing's price is raised: a bar plus the numbers, readable without the colour. */
import type { ReactNode } from "react";
import { Money } from "./Money";

export function FundingProgress({
  percent,
  raised,
  price,
}: {
  percent: number;
  raised?: string | null;
  price?: string | null;
}): ReactNode {
  const clamped = Math.max(0, Math.min(100, percent));
  return (
    <div data-testid="funding-progress" data-percent={clamped.toFixed(2)}>
      <div
        className="progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(clamped)}
        aria-label="Funded"
      >
        <span style={{ width: `${clamped}%` }} />
      </div>
      <div className="progress-label">
        <span>{clamped.toFixed(clamped > 0 && clamped < 1 ? 2 : 0)}% funded</span>
        {raised != null && price != null && (
          <span>
            <Money value={raised} compactPaise /> of <Money value={price} compactPaise />
          </span>
        )}
      </div>
    </div>
  );
}

/** Risk score 0 (worst) to 100 (best), as words and number. */
export function RiskBadge({ score }: { score: number | null | undefined }): ReactNode {
  if (score === null || score === undefined) return <span className="badge">Not scored</span>;
  const tone = score >= 70 ? "ok" : score >= 45 ? "warn" : "bad";
  const words = score >= 70 ? "Low risk" : score >= 45 ? "Medium risk" : "High risk";
  return (
    <span className={`badge ${tone}`} data-testid="risk-score" data-score={score} title="Oracle risk score: 0 (worst) to 100 (best)">
      {words} · {score}
    </span>
  );
}
