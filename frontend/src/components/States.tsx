/** The loading, empty and error states every page shows, so they look and read the same everywhere. */
import type { ReactNode } from "react";

export function Loading({ label = "Loading…", testId }: { label?: string; testId?: string }): ReactNode {
  return (
    <div className="state" role="status" aria-live="polite" data-testid={testId ?? "state-loading"}>
      <span className="spinner" aria-hidden="true" /> <span>{label}</span>
    </div>
  );
}

export function EmptyState({
  title,
  children,
  testId,
}: {
  title: string;
  children?: ReactNode;
  testId?: string;
}): ReactNode {
  return (
    <div className="state card" data-testid={testId ?? "state-empty"}>
      <h2>{title}</h2>
      {children}
    </div>
  );
}

export function ErrorState({
  title = "Something went wrong",
  message,
  onRetry,
  testId,
}: {
  title?: string;
  message: string;
  onRetry?: () => void;
  testId?: string;
}): ReactNode {
  return (
    <div className="notice bad" role="alert" data-testid={testId ?? "state-error"}>
      <div>
        <strong>{title}</strong>
        <p>{message}</p>
      </div>
      {onRetry && (
        <button type="button" className="secondary small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Render a query's three states, then `children(data)`. */
export function QueryView<T>({
  query,
  loadingLabel,
  errorTitle,
  children,
}: {
  query: { data: T | undefined; error: string | null; loading: boolean; reload: () => void };
  loadingLabel?: string;
  errorTitle?: string;
  children: (data: T) => ReactNode;
}): ReactNode {
  if (query.error && query.data === undefined) {
    return <ErrorState title={errorTitle} message={query.error} onRetry={query.reload} />;
  }
  if (query.data === undefined) return <Loading label={loadingLabel} />;
  return (
    <>
      {query.error && <ErrorState title="Could not refresh" message={query.error} onRetry={query.reload} />}
      {children(query.data)}
    </>
  );
}
