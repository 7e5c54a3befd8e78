import type { ReactNode } from "react";
import { Link } from "../lib/router";

export function NotFoundPage(): ReactNode {
  return (
    <div className="state card" data-testid="page-not-found">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <Link to="/" className="button">
        Go to the marketplace
      </Link>
    </div>
  );
}
