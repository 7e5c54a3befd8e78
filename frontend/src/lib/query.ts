/**
 * Data loading for pages: one small hook with loading, error and reload, so every page shows the same three
 * states. `live` re-fetches (debounced) when the API's server-sent events announce a change.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { describeError } from "./api";
import { onLiveEvent, type LiveEvent } from "./events";

export interface Query<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

export interface QueryOptions {
  /** Skip fetching (e.g. until signed in); the query then reports neither loading nor data. */
  enabled?: boolean;
  /** Re-fetch when a live event passes this filter (true: any event). */
  live?: boolean | ((event: LiveEvent) => boolean);
}

export function useQuery<T>(fetcher: () => Promise<T>, deps: readonly unknown[], options: QueryOptions = {}): Query<T> {
  const { enabled = true, live = false } = options;
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState<boolean>(enabled);
  const [tick, setTick] = useState(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const liveRef = useRef(live);
  liveRef.current = live;

  useEffect(() => {
    if (!enabled) {
      setLoading(false);
      setData(undefined);
      setError(null);
      return;
    }
    let cancelled = false;
    setLoading(true);
    fetcherRef
      .current()
      .then((value) => {
        if (cancelled) return;
        setData(value);
        setError(null);
      })
      .catch((err: unknown) => {
        if (!cancelled) setError(describeError(err));
      })
      .finally(() => {
        if (!cancelled) setLoading(false);
      });
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [enabled, tick, ...deps]);

  // Live refresh: a burst of events (one block can carry many) causes one re-fetch. The filter is read through a
  // ref, so a new filter function on every render does not resubscribe.
  const isLive = Boolean(live);
  useEffect(() => {
    if (!enabled || !isLive) return;
    let timer: number | undefined;
    const unsubscribe = onLiveEvent((event) => {
      const filter = liveRef.current;
      if (typeof filter === "function" && !filter(event)) return;
      window.clearTimeout(timer);
      timer = window.setTimeout(() => setTick((t) => t + 1), 400);
    });
    return () => {
      window.clearTimeout(timer);
      unsubscribe();
    };
  }, [enabled, isLive]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading: loading && data === undefined, reload };
}
