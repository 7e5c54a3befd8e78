/**
 * The deployment the API serves (GET /api/v1/config): chain id, contract addresses, stablecoin decimals and the
 * oracle's URL. Addresses are never built into the bundle, so one build works against any deployment.
 */
import { useEffect } from "react";
import type { Address } from "viem";
import { api, describeError, unwrap, type Schemas } from "./api";
import { createStore, useStore } from "./store";

export type ApiConfig = Schemas["ApiConfig"];

interface ConfigState {
  config: ApiConfig | null;
  error: string | null;
  loading: boolean;
}

const configStore = createStore<ConfigState>({ config: null, error: null, loading: false });

export async function loadConfig(): Promise<void> {
  if (configStore.get().loading) return;
  configStore.set({ loading: true });
  try {
    const config = unwrap(await api.GET("/api/v1/config"));
    configStore.set({ config, error: null });
  } catch (err) {
    configStore.set({ error: describeError(err) });
  } finally {
    configStore.set({ loading: false });
  }
}

export function useConfig(): ConfigState & { reload: () => void } {
  const state = useStore(configStore);
  useEffect(() => {
    if (!state.config && !state.loading && !state.error) void loadConfig();
  }, [state.config, state.loading, state.error]);
  return { ...state, reload: () => void loadConfig() };
}

export function currentConfig(): ApiConfig | null {
  return configStore.get().config;
}

/** Stablecoin decimals (6 for the rupee stablecoin) until the config says otherwise. */
export function useDecimals(): number {
  return useStore(configStore).config?.stablecoin.decimals ?? 6;
}

/** A contract's address by its CONTRACTS.md name; throws with a clear message when the deployment lacks it. */
export function contractAddress(config: ApiConfig, name: string): Address {
  const address = config.contracts[name];
  if (!address) throw new Error(`The deployment has no ${name} contract. Check the API's deployment file.`);
  return address as Address;
}
