-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Operation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "accountId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "step" TEXT NOT NULL DEFAULT '',
    "progress" REAL NOT NULL DEFAULT 0,
    "bytesDone" BIGINT NOT NULL DEFAULT 0,
    "bytesTotal" BIGINT NOT NULL DEFAULT 0,
    "throughput" REAL NOT NULL DEFAULT 0,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "input" TEXT NOT NULL DEFAULT '{}',
    "undo" TEXT NOT NULL DEFAULT '{}',
    "serverId" TEXT,
    "imageTemplateId" TEXT,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "ownerId" TEXT,
    "heartbeatAt" DATETIME,
    "claim" INTEGER NOT NULL DEFAULT 0,
    "idempotencyKey" TEXT,
    "idempotencyFingerprint" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Operation_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Operation_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "Server" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Operation_imageTemplateId_fkey" FOREIGN KEY ("imageTemplateId") REFERENCES "ImageTemplate" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Operation" ("accountId", "bytesDone", "bytesTotal", "cancelRequested", "createdAt", "errorCode", "errorMessage", "finishedAt", "heartbeatAt", "id", "idempotencyFingerprint", "idempotencyKey", "imageTemplateId", "input", "kind", "ownerId", "progress", "serverId", "startedAt", "status", "step", "throughput", "undo", "updatedAt") SELECT "accountId", "bytesDone", "bytesTotal", "cancelRequested", "createdAt", "errorCode", "errorMessage", "finishedAt", "heartbeatAt", "id", "idempotencyFingerprint", "idempotencyKey", "imageTemplateId", "input", "kind", "ownerId", "progress", "serverId", "startedAt", "status", "step", "throughput", "undo", "updatedAt" FROM "Operation";
DROP TABLE "Operation";
ALTER TABLE "new_Operation" RENAME TO "Operation";
CREATE INDEX "Operation_accountId_id_idx" ON "Operation"("accountId", "id");
CREATE INDEX "Operation_status_id_idx" ON "Operation"("status", "id");
CREATE INDEX "Operation_serverId_id_idx" ON "Operation"("serverId", "id");
CREATE INDEX "Operation_imageTemplateId_id_idx" ON "Operation"("imageTemplateId", "id");
CREATE UNIQUE INDEX "Operation_accountId_kind_idempotencyKey_key" ON "Operation"("accountId", "kind", "idempotencyKey");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

