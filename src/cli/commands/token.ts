import { type Sluice, TOKEN_ROLES, type TokenRole } from '../../index.js';
import { EXIT } from '../exit-codes.js';
import { formatTable, type Io, printJson } from '../output.js';

/**
 * `sluice token create NAME [--role R] [--json]` (SPEC §6): makes an API token for `sluice serve`
 * and prints it, the only time it is shown. The role is checked by `Sluice.createToken`, which names
 * the roles there are.
 */
export async function tokenCreateCommand(
  sluice: Sluice,
  name: string,
  options: { role: string; json: boolean },
  io: Io,
): Promise<number> {
  const created = await sluice.createToken(name, options.role as TokenRole);
  if (options.json) {
    printJson(io, created);
    return EXIT.ok;
  }
  io.stdout.write(
    `Created API token "${created.name}" with role ${created.role}:\n\n` +
      `  ${created.token}\n\n` +
      'Copy it now: it will not be shown again (only its hash is stored). Send it as Authorization: Bearer <token>.\n',
  );
  return EXIT.ok;
}

/** `sluice token list [--json]`: every token with its role and last use, never the token. */
export async function tokenListCommand(sluice: Sluice, options: { json: boolean }, io: Io): Promise<number> {
  const tokens = await sluice.listTokens();
  if (options.json) {
    printJson(io, tokens);
    return EXIT.ok;
  }
  if (tokens.length === 0) {
    io.stdout.write(
      `No API tokens yet. Make one with: sluice token create NAME --role ${TOKEN_ROLES.join('|')}\n`,
    );
    return EXIT.ok;
  }
  const rows = tokens.map((t) => [t.name, t.role, t.created_at, t.last_used_at ?? 'never']);
  io.stdout.write(`${formatTable(['NAME', 'ROLE', 'CREATED', 'LAST USED'], rows)}\n`);
  return EXIT.ok;
}

/** `sluice token revoke NAME [--json]`: the token stops working at its next request. */
export async function tokenRevokeCommand(
  sluice: Sluice,
  name: string,
  options: { json: boolean },
  io: Io,
): Promise<number> {
  await sluice.revokeToken(name);
  if (options.json) printJson(io, { name, revoked: true });
  else io.stdout.write(`Revoked API token "${name}": requests with it are refused from now on.\n`);
  return EXIT.ok;
}
