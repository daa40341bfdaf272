import { isWithin, jsonLines } from '../lib/json-paths';

/** A message as indented JSON, the lines of the `changed` fields marked (and said, for screen readers). */
export function JsonView({ value, changed = [] }: { value: unknown; changed?: readonly string[] }) {
  return (
    <pre class="json">
      {jsonLines(value).map((line, i) =>
        line.path !== null && changed.some((c) => isWithin(line.path!, c)) ? (
          <mark key={i} class="line changed-line" title="changed">
            {line.text}
            <span class="sr-only"> (changed)</span>
          </mark>
        ) : (
          <span key={i} class="line">
            {line.text}
          </span>
        ),
      )}
    </pre>
  );
}
