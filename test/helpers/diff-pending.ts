/**
 * The differential test's cases that fail on main until a fix lands (test/differential.test.ts
 * runs them as `it.fails`, so the suite stays green while they fail and turns red the moment one
 * passes: whoever merges the fix removes its entries). List them from
 * `SLUICE_DIFF_ALL=1 npx vitest run test/differential.test.ts` on main: `<engine>/<column>/<value|key>`,
 * `<engine>/events` or `<engine>/rerun` → the fix it waits for. None is pending now (the last ones,
 * MariaDB's FLOAT/DOUBLE written to 6/15 digits by the text protocol, were fixed by reading MySQL
 * through the binary protocol: src/sources/mysql/mysql-source.ts).
 */

export const PENDING: Record<string, string> = {};
