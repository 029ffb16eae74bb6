// What every long operation is made of. The runner calls run(); on failure, on cancel
// and in crash recovery it calls rollback(), the one cleanup path, which must be
// idempotent and work from whatever the pipeline had recorded with remember().
import type { DomainDeps } from "../deps.ts";
import type { OperationRow } from "./operation-snapshot.ts";
import type { Lease } from "./lease.ts";
import type { Progress } from "./progress.ts";
import type { OperationKind } from "../kernel/index.ts";

export type RollbackReason = "failed" | "cancelled" | "interrupted";

export interface RollbackContext<Input, Undo> {
  /** Why the operation is rolled back; "interrupted" after a crash or a shutdown. */
  reason?: RollbackReason;
  operation: OperationRow;
  input: Input;
  /** The rollback facts recorded so far (empty when the operation never started). */
  undo: Partial<Undo>;
  deps: DomainDeps;
  /** This instance's lease on the operation: the writes that finish its work go through `lease.fenced`. */
  lease: Lease;
}

export interface RunContext<Input, Undo> extends RollbackContext<Input, Undo> {
  signal: AbortSignal;
  progress: Progress;
  /** Records rollback facts in the operation row before the change they undo. */
  remember(facts: Partial<Undo>): Promise<void>;
}

export interface Pipeline<Input = unknown, Undo = Record<string, unknown>> {
  kind: OperationKind;
  /** Whether a RUNNING operation may be cancelled (a QUEUED one always may). */
  cancellableWhileRunning: boolean;
  /**
   * Whether the operation counts as a deployment of its image template while it is QUEUED or
   * RUNNING (ImageTemplate.activeDeployCount); the runner releases it when the operation ends.
   */
  holdsTemplate?: boolean;
  /** Its success counts as a deployment of its template (ImageTemplate.deploymentCount, lastDeployedAt). */
  deploysTemplate?: boolean;
  run(ctx: RunContext<Input, Undo>): Promise<void>;
  /**
   * Undoes the operation; or, past a point of no return, finishes it and says "completed"
   * (the operation then ends SUCCEEDED).
   */
  rollback(ctx: RollbackContext<Input, Undo>): Promise<void | "completed">;
}

// Pipelines are registered by kind; their Input/Undo types are private to each one.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPipeline = Pipeline<any, any>;
