// The Hundi test wallet: an EIP-1193 provider injected into every page before the app's own scripts run, the way a
// browser-extension wallet injects one. Every request goes to the Python side (tests/e2e/wallet.py) through a
// Playwright binding; Python signs with the dev account's key and forwards everything else to the node.
// The app cannot tell it from an extension wallet: window.ethereum plus EIP-6963 discovery.
(() => {
  "use strict";
  const BINDING = "__hundiWalletRequest";
  const ICON =
    "data:image/svg+xml;base64," +
    btoa(
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" ' +
        'fill="#1f4e79"/><text x="16" y="22" font-size="16" text-anchor="middle" fill="#fff" ' +
        'font-family="sans-serif">T</text></svg>',
    );

  class ProviderRpcError extends Error {
    constructor(code, message, data) {
      super(message);
      this.name = "ProviderRpcError";
      this.code = code;
      if (data !== undefined) this.data = data;
    }
  }

  const listeners = new Map();

  function emit(event, payload) {
    for (const fn of [...(listeners.get(event) || [])]) {
      try {
        fn(payload);
      } catch (err) {
        // A listener that throws must not stop the others (extension wallets behave the same way).
        setTimeout(() => {
          throw err;
        });
      }
    }
  }

  function uuid() {
    if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    const b = Array.from({ length: 16 }, () => Math.floor(Math.random() * 256));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = b.map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const provider = {
    isMetaMask: false,
    isHundiTestWallet: true,
    async request(args) {
      if (!args || typeof args !== "object" || typeof args.method !== "string") {
        throw new ProviderRpcError(-32600, "Invalid request: expected { method, params }");
      }
      const params = args.params === undefined ? [] : args.params;
      const reply = await window[BINDING]({ method: args.method, params });
      // Events the request caused (chainChanged after a switch, accountsChanged after connecting) fire after
      // the request resolves, as in extension wallets.
      for (const [event, payload] of reply.emit || []) setTimeout(() => emit(event, payload), 0);
      if (reply.error) throw new ProviderRpcError(reply.error.code, reply.error.message, reply.error.data);
      return reply.result;
    },
    on(event, fn) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(fn);
      return provider;
    },
    removeListener(event, fn) {
      const set = listeners.get(event);
      if (set) set.delete(fn);
      return provider;
    },
  };
  provider.addListener = provider.on;
  provider.off = provider.removeListener;

  Object.defineProperty(window, "ethereum", { value: provider, configurable: true, enumerable: true });
  // The test side emits accountsChanged / chainChanged through this when it changes the wallet's state.
  Object.defineProperty(window, "__hundiWalletEmit", { value: emit });

  const info = Object.freeze({ uuid: uuid(), name: "Hundi Test Wallet", icon: ICON, rdns: "org.hundi.testwallet" });
  const detail = Object.freeze({ info, provider });
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
