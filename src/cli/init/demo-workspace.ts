import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStateStore } from '../../state/registry.js';
import { createDemoWarehouse } from './demo-warehouse.js';

/** The demo receiver's write key: a placeholder, since the local receiver accepts any non-empty key. */
export const DEMO_WRITE_KEY = 'demo-write-key';

/** A new workspace's `workspace_id`: 16 hex digits, random (README "Your state must persist"). */
export function newWorkspaceId(): string {
  return randomBytes(8).toString('hex');
}

/** The demo sluice.yaml: one sync per Segment object, aimed at a local receiver. */
export function demoWorkspaceYaml(endpoint: string, workspaceId: string): string {
  return `# A Sluice workspace: SQL models over a warehouse, mapped onto Segment calls.
# Reference: the README's tour of sluice.yaml.

# Names this workspace in every event's messageId, so that a run on a lost state (a fresh CI
# checkout without .sluice/) resends events under the same ids and Segment drops the copies.
# Keep it; a copy meant as another workspace needs its own, and no copy of .sluice/.
workspace_id: "${workspaceId}"

# What was delivered, per sync and key: keep it between runs (README "Your state must persist").
state: sqlite:.sluice/state.db
# Per-row records of runs older than this are pruned (run summaries stay): \`sluice prune\`.
retention: { runs: 30d }

# Know when it breaks (README): uncomment, and point the URL at your own endpoint.
# notify:
#   ops: { type: webhook, url: "\${OPS_WEBHOOK_URL}", secret: "\${OPS_WEBHOOK_SECRET}" }
# alerts:
#   - { when: run_failed, notify: [ops] }
#   - { when: failed_rows, over: 5%, notify: [ops] }
# webhooks: { notify: [ops], events: [run.failed] }

sources:
  warehouse: { type: duckdb, path: warehouse.duckdb }

destinations:
  segment:
    type: segment
    # For a real workspace, keep the key out of the file: write_key: "\${SEGMENT_WRITE_KEY}"
    write_key: ${DEMO_WRITE_KEY}
    # The local receiver started by \`sluice receiver\`; remove this line to send to Segment (region: us | eu).
    endpoint: ${endpoint}

models:
  users:    { source: warehouse, file: models/users.sql }
  accounts: { source: warehouse, sql: "select * from accounts" }
  events:   { source: warehouse, sql: "select * from events" }

syncs:
  users-to-segment:
    model: users
    destination: segment
    object: user
    key: { column: id, field: userId }
    mappings:
      traits.email: email
      traits.firstName: first_name
      traits.lastName: last_name
      traits.name: { template: "{{ first_name }} {{ last_name }}" }
      traits.plan: plan
      traits.address.city: city
      traits.lifetimeValue: lifetime_value
      traits.createdAt: created_at
      context.source: { constant: sluice-demo }
    bundle: { into: traits, include: [is_active, account_id] }
    # \`sluice serve\` runs it every minute (cron, \`continuous\` and \`after:\` work too).
    schedule: every 1m

  accounts-to-segment:
    model: accounts
    destination: segment
    object: group
    key: { column: id, field: groupId }
    mappings:
      userId: { template: "account-admin-{{ id }}" }
      traits.name: name
      traits.industry: industry
      traits.plan: plan
      traits.employees: employees
      traits.createdAt: created_at
    # Each time users-to-segment has completed.
    schedule: { after: [users-to-segment] }

  events-to-segment:
    model: events
    destination: segment
    object: event
    key: { column: event_id }
    mappings:
      event: event_name
      userId: user_id
      timestamp: occurred_at
      properties.revenue: revenue
      properties.sku: sku
    schedule: { cron: "*/5 * * * *", timezone: UTC }
`;
}

const USERS_SQL = `-- Users with their account; one row per user, keyed by id.
select u.id, u.email, u.first_name, u.last_name, u.plan, u.city, u.lifetime_value,
       u.is_active, u.account_id, u.created_at
from users u
`;

/**
 * Writes a runnable demo workspace into `dir` (created if needed): sluice.yaml, models, warehouse,
 * and its state store, made now with the same id as sluice.yaml's `workspace_id`: that is how a
 * run tells this new workspace's empty state from a lost one (sync/lost-state-warning.ts).
 */
export async function writeDemoWorkspace(dir: string, endpoint: string): Promise<void> {
  const workspaceId = newWorkspaceId();
  await mkdir(join(dir, 'models'), { recursive: true });
  await writeFile(join(dir, 'sluice.yaml'), demoWorkspaceYaml(endpoint, workspaceId));
  await writeFile(join(dir, 'models', 'users.sql'), USERS_SQL);
  await writeFile(join(dir, '.gitignore'), '.sluice/\nwarehouse.duckdb*\n');
  await createDemoWarehouse(join(dir, 'warehouse.duckdb'));
  const state = await openStateStore({ kind: 'sqlite', path: join(dir, '.sluice', 'state.db') });
  try {
    await state.workspaceId(workspaceId);
  } finally {
    await state.close();
  }
}
