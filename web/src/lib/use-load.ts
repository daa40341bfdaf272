import { useCallback, useEffect, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  reload: () => void;
}

/** Loads `load()` when `deps` change (the last call wins), with its loading and error states. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    const aborter = new AbortController();
    setState((s) => ({ ...s, loading: true, error: null }));
    load(aborter.signal).then(
      (data) => {
        if (!aborter.signal.aborted) setState({ data, error: null, loading: false });
      },
      (error: unknown) => {
        if (!aborter.signal.aborted)
          setState((s) => ({
            ...s,
            error: error instanceof Error ? error : new Error(String(error)),
            loading: false,
          }));
      },
    );
    return () => aborter.abort();
  }, [...deps, generation]);
  return { ...state, reload };
}
