-- AlterTable
ALTER TABLE "Operation" ADD COLUMN "idempotencyFingerprint" TEXT;
ALTER TABLE "Operation" ADD COLUMN "idempotencyKey" TEXT;

-- The keys move to the operations their first requests queued (a capture's template and a
-- deploy's server each have one). Their inputs were not kept: a null fingerprint matches any.
UPDATE "Operation" SET "idempotencyKey" = (SELECT "idempotencyKey" FROM "ImageTemplate" WHERE "ImageTemplate"."id" = "Operation"."imageTemplateId") WHERE "kind" = 'CAPTURE';
UPDATE "Operation" SET "idempotencyKey" = (SELECT "idempotencyKey" FROM "Server" WHERE "Server"."id" = "Operation"."serverId") WHERE "kind" = 'DEPLOY';

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Server" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "accountId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "fqdn" TEXT NOT NULL,
    "datacenter" TEXT NOT NULL,
    "cpu" INTEGER NOT NULL,
    "memoryMb" INTEGER NOT NULL,
    "os" TEXT NOT NULL,
    "powerState" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "activeOperationId" TEXT,
    "networkOrdinal" INTEGER,
    "privateIpv4" TEXT,
    "publicIpv4" TEXT,
    "macAddress" TEXT,
    "sourceImageTemplateId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Server_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Server_sourceImageTemplateId_fkey" FOREIGN KEY ("sourceImageTemplateId") REFERENCES "ImageTemplate" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Server" ("accountId", "activeOperationId", "cpu", "createdAt", "datacenter", "domain", "fqdn", "hostname", "id", "kind", "macAddress", "memoryMb", "networkOrdinal", "os", "powerState", "privateIpv4", "publicIpv4", "sourceImageTemplateId", "status", "updatedAt") SELECT "accountId", "activeOperationId", "cpu", "createdAt", "datacenter", "domain", "fqdn", "hostname", "id", "kind", "macAddress", "memoryMb", "networkOrdinal", "os", "powerState", "privateIpv4", "publicIpv4", "sourceImageTemplateId", "status", "updatedAt" FROM "Server";
DROP TABLE "Server";
ALTER TABLE "new_Server" RENAME TO "Server";
CREATE UNIQUE INDEX "Server_activeOperationId_key" ON "Server"("activeOperationId");
CREATE INDEX "Server_accountId_id_idx" ON "Server"("accountId", "id");
CREATE INDEX "Server_sourceImageTemplateId_idx" ON "Server"("sourceImageTemplateId");
CREATE UNIQUE INDEX "Server_accountId_fqdn_key" ON "Server"("accountId", "fqdn");
CREATE UNIQUE INDEX "Server_datacenter_networkOrdinal_key" ON "Server"("datacenter", "networkOrdinal");
CREATE TABLE "new_ImageTemplate" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "accountId" TEXT NOT NULL,
    "globalIdentifier" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "note" TEXT NOT NULL DEFAULT '',
    "type" TEXT NOT NULL DEFAULT 'STANDARD',
    "status" TEXT NOT NULL,
    "sourceServerId" TEXT,
    "configuration" TEXT NOT NULL DEFAULT '{}',
    "sizeBytes" BIGINT NOT NULL DEFAULT 0,
    "storedBytes" BIGINT NOT NULL DEFAULT 0,
    "activeDeployCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "ImageTemplate_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ImageTemplate_sourceServerId_fkey" FOREIGN KEY ("sourceServerId") REFERENCES "Server" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_ImageTemplate" ("accountId", "activeDeployCount", "configuration", "createdAt", "globalIdentifier", "id", "name", "note", "sizeBytes", "sourceServerId", "status", "storedBytes", "type", "updatedAt") SELECT "accountId", "activeDeployCount", "configuration", "createdAt", "globalIdentifier", "id", "name", "note", "sizeBytes", "sourceServerId", "status", "storedBytes", "type", "updatedAt" FROM "ImageTemplate";
DROP TABLE "ImageTemplate";
ALTER TABLE "new_ImageTemplate" RENAME TO "ImageTemplate";
CREATE UNIQUE INDEX "ImageTemplate_globalIdentifier_key" ON "ImageTemplate"("globalIdentifier");
CREATE INDEX "ImageTemplate_accountId_id_idx" ON "ImageTemplate"("accountId", "id");
CREATE UNIQUE INDEX "ImageTemplate_accountId_name_key" ON "ImageTemplate"("accountId", "name");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "Operation_accountId_kind_idempotencyKey_key" ON "Operation"("accountId", "kind", "idempotencyKey");

