/** Builds one object from the values of its keys, in the keys' order. */
export type RecordFactory = (values: readonly unknown[]) => Record<string, unknown>;

/**
 * A function that builds `{ [keys[0]]: values[0], [keys[1]]: values[1], … }` as one object literal,
 * or undefined when none can be made (a `__proto__` key, or code generation disallowed with
 * `--disallow-code-generation-from-strings`); the caller then adds the fields one by one.
 *
 * Why generate code: the evaluator adds each mapped field with `target[key] = value`, one store site
 * shared by every container of every mapping, so V8 sees it adding fields to objects of many shapes
 * and falls back to its slowest (megamorphic, map-transitioning) stores: for the bench's
 * six-field traits that was ~0.17 µs a row, a third of mapping it. A literal of fixed keys gets
 * the object's final shape in one allocation instead.
 *
 * Safety: the generated text is `return {"k0":v[0],"k1":v[1]}` with every key written by
 * JSON.stringify, which always yields a valid JavaScript string literal (JSON is a subset of
 * ECMAScript since ES2019), so a key cannot inject code. `"__proto__": v` in a literal would set the
 * prototype rather than add a field, hence the refusal. Property order and attributes are those of
 * assigning the keys in order to `{}`: own, enumerable, writable, configurable data properties,
 * integer-like keys first (ascending) then the others in order, the same JSON.stringify output.
 */
export function recordFactory(keys: readonly string[]): RecordFactory | undefined {
  if (keys.includes('__proto__') || new Set(keys).size !== keys.length) return undefined;
  const fields = keys.map((key, i) => `${JSON.stringify(key)}:v[${i}]`).join(',');
  try {
    return new Function('v', `return {${fields}};`) as RecordFactory;
  } catch {
    // EvalError under --disallow-code-generation-from-strings: the one-by-one path is still correct.
    return undefined;
  }
}
