/**
 * Sluice as a library: what `import … from 'sluice'` gives. The CLI, `sluice serve` and workers use
 * exactly this; so can a Dagster or Airflow task, or any Node program, instead of shelling out.
 * README.md "Use it from code" shows it at work.
 */
export { type ConfigProblem, type ErrorCode, isSluiceError, SluiceError } from './core/errors.js';
export type { RecordStatus, RunCounts, RunStatus } from './core/run.js';
export { roleAllows, TOKEN_ROLES, type TokenRole } from './core/token-roles.js';
export type { AlertKind, AlertRule, NotificationType, NotifyTarget, Workspace } from './core/workspace.js';
export type { Exchange } from './destinations/destination.js';
export { signWebhook, verifyWebhook, WebhookVerificationError } from './observe/standard-webhooks.js';
export type { ScheduleSlot } from './schedule/schedule-times.js';
export type {
  ScheduledSync,
  ScheduleRequestAnswer,
  Scheduler,
  SchedulerEvent,
  SchedulerOptions,
} from './schedule/scheduler.js';
export type { Worker, WorkerEvent } from './schedule/worker.js';
export type { AlertDocument, AlertListing, TargetDocument } from './sluice/alert-documents.js';
export type { VerifiedToken } from './sluice/api-tokens.js';
export type { CheckItem, CheckReport } from './sluice/check-workspace.js';
export type {
  CreatedToken,
  ExchangeDocument,
  KeyHistoryDocument,
  KeyStateDocument,
  Listing,
  RecordDocument,
  RunDocument,
  TokenDocument,
} from './sluice/documents.js';
export type { MigrateDocument } from './sluice/migrate-state.js';
export { type OpenWorkspaceOptions, openWorkspace, type WorkspaceInCode } from './sluice/open-workspace.js';
export type { PruneDocument } from './sluice/prune-state.js';
export type { ServiceEvent, ServiceOptions, SluiceService } from './sluice/service.js';
export type {
  AlertsQuery,
  KeyHistory,
  RecordsQuery,
  RunOptions,
  RunsQuery,
  Sluice,
} from './sluice/sluice.js';
export type { MappingDocument, MappingSourceDocument, SyncDocument } from './sluice/sync-document.js';
export type { SyncOverview } from './sluice/sync-overview.js';
export { VERSION } from './sluice/version.js';
export type { ObserveEvent } from './sluice/workspace-parts.js';
export type { ModelPreview, PreviewColumn } from './sync/preview-model.js';
export type { RetryStatus } from './sync/retry-waits.js';
export type { DryRunSample, InvalidSample, SyncRunResult, WritebackOutcome } from './sync/run-result.js';
export type { FaultPoint } from './sync/run-sync.js';
