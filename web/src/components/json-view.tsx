import { isWithin, jsonLines } from '../lib/json-paths';

/** A message as indented JSON, the lines of the `changed` fields marked (and said, for screen readers). */
export function JsonView({ value, changed = [] }: { value: unknown; changed?: readonly string[] }) {
  return (
    <pre class="json">
      {jsonLines(value).map((line, i) => {
        const marked = line.path !== null && changed.some((c) => isWithin(line.path!, c));
        return marked ? (
          <mark key={i} class="changed-line" title="changed">
            {line.text}
            <span class="sr-only"> (changed)</span>
            {'\n'}
          </mark>
        ) : (
          <span key={i}>{`${line.text}\n`}</span>
        );
      })}
    </pre>
  );
}
