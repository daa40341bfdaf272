/**
 * A private, deeply frozen copy of a constant from sluice.yaml. Every row's payload shares it, so
 * freezing makes any later attempt to change one row's copy fail loudly instead of leaking into all.
 * @throws DataCloneError for values that cannot be cloned (functions, symbols: never from YAML).
 */
export function freezeConstant<T>(value: T): T {
  return deepFreeze(structuredClone(value));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
