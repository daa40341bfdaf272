/**
 * `${VAR}` interpolation of string values from the environment (SPEC §1).
 *
 * Syntax: `${NAME}` with NAME = [A-Za-z_][A-Za-z0-9_]*, replaced by the variable's value (an empty
 * value counts as set). `$${` is an escape for a literal `${` (as in docker compose), so
 * `"$${HOME}"` yields the text `${HOME}`. A lone `$` elsewhere is kept as is. Anything else that
 * starts with `${` (an unclosed reference, `${1X}`, `${A:-b}`) is an error rather than silently
 * kept, because it is almost always a typo that would otherwise reach a connection string.
 */

export interface Interpolated {
  value: string;
  /** Whether any variable was substituted: such values may hold secrets and are never echoed. */
  substituted: boolean;
  /** Names referenced but not set in the environment. */
  missing: string[];
  /** References that are not `${NAME}` (text shown as written, e.g. "${A:-b}"). */
  malformed: string[];
}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Replaces every `${VAR}` in `text` from `env`; see the module comment for the syntax. */
export function interpolate(text: string, env: NodeJS.ProcessEnv): Interpolated {
  const missing: string[] = [];
  const malformed: string[] = [];
  let substituted = false;
  if (!text.includes('${')) return { value: text, substituted, missing, malformed };
  const value = text.replace(REFERENCE, (match: string, name: string | undefined) => {
    if (match === '$${') return '${';
    if (name === undefined || !NAME.test(name)) {
      malformed.push(match.length > 40 ? `${match.slice(0, 37)}...` : match);
      return match;
    }
    const found = Object.hasOwn(env, name) ? env[name] : undefined;
    if (found === undefined) {
      if (!missing.includes(name)) missing.push(name);
      return match;
    }
    substituted = true;
    return found;
  });
  return { value, substituted, missing, malformed };
}
