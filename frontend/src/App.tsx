/** The shell: header with navigation and wallet, the network banner, and the page for the current URL. */
import { useEffect, type ReactNode } from "react";
import { NetworkBanner } from "./components/NetworkBanner";
import { ErrorState } from "./components/States";
import { WalletError, WalletPanel } from "./components/WalletPanel";
import { useConfig } from "./lib/config";
import { Link, matchPath, useLocation } from "./lib/router";
import { InvoicePage } from "./pages/InvoicePage";
import { MarketplacePage } from "./pages/MarketplacePage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { OperatorPage } from "./pages/OperatorPage";
import { PortfolioPage } from "./pages/PortfolioPage";
import { SellPage } from "./pages/SellPage";

const NAV = [
  { to: "/", label: "Marketplace", match: (p: string) => p === "/" || p.startsWith("/invoices") },
  { to: "/sell", label: "Sell invoices", match: (p: string) => p.startsWith("/sell") },
  { to: "/portfolio", label: "Portfolio", match: (p: string) => p.startsWith("/portfolio") },
  { to: "/operator", label: "Operator", match: (p: string) => p.startsWith("/operator") },
];

function route(pathname: string): { page: ReactNode; title: string } {
  if (pathname === "/") return { page: <MarketplacePage />, title: "Marketplace" };
  const invoice = matchPath("/invoices/:id", pathname);
  if (invoice) return { page: <InvoicePage id={invoice.id!} />, title: `Invoice #${invoice.id}` };
  if (matchPath("/sell", pathname)) return { page: <SellPage />, title: "Sell invoices" };
  if (matchPath("/portfolio", pathname)) return { page: <PortfolioPage />, title: "Portfolio" };
  if (matchPath("/operator", pathname)) return { page: <OperatorPage />, title: "Operator" };
  return { page: <NotFoundPage />, title: "Not found" };
}

export function App(): ReactNode {
  const { pathname } = useLocation();
  const { error: configError, config, reload } = useConfig();
  const { page, title } = route(pathname);

  useEffect(() => {
    document.title = `${title} · Hundi`;
  }, [title]);

  return (
    <div className="app">
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand" aria-label="Hundi home">
            <span className="brand-mark" aria-hidden="true">
              H
            </span>
            <span>
              Hundi <small className="hide-phone">invoice finance</small>
            </span>
          </Link>
          <nav className="nav" aria-label="Main">
            {NAV.map((item) => (
              <Link
                key={item.to}
                to={item.to}
                aria-current={item.match(pathname) ? "page" : undefined}
                data-testid={`nav-${item.label.split(" ")[0]!.toLowerCase()}`}
              >
                {item.label}
              </Link>
            ))}
          </nav>
          <WalletPanel />
        </div>
        <NetworkBanner />
      </header>
      <main id="main">
        <WalletError />
        {configError && !config && (
          <ErrorState
            title="Cannot load the deployment settings"
            message={`${configError} The pages below may be incomplete.`}
            onRetry={reload}
            testId="config-error"
          />
        )}
        {page}
      </main>
      <footer className="footer">
        Hundi — amounts in rupees (₹), dates in IST. Your funds stay in your wallet until you sign.
      </footer>
    </div>
  );
}
