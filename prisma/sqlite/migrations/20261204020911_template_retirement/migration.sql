-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ImageTemplate" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "accountId" TEXT NOT NULL,
    "globalIdentifier" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "note" TEXT NOT NULL DEFAULT '',
    "kind" TEXT NOT NULL DEFAULT 'STANDARD',
    "status" TEXT NOT NULL,
    "sourceServerId" TEXT,
    "configuration" TEXT NOT NULL DEFAULT '{}',
    "sizeBytes" BIGINT NOT NULL DEFAULT 0,
    "storedBytes" BIGINT NOT NULL DEFAULT 0,
    "activeDeployCount" INTEGER NOT NULL DEFAULT 0,
    "deprecateAt" DATETIME,
    "obsoleteAt" DATETIME,
    "replacementId" TEXT,
    "protected" BOOLEAN NOT NULL DEFAULT false,
    "deploymentCount" INTEGER NOT NULL DEFAULT 0,
    "lastDeployedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "ImageTemplate_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ImageTemplate_sourceServerId_fkey" FOREIGN KEY ("sourceServerId") REFERENCES "Server" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "ImageTemplate_replacementId_fkey" FOREIGN KEY ("replacementId") REFERENCES "ImageTemplate" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_ImageTemplate" ("accountId", "activeDeployCount", "configuration", "createdAt", "globalIdentifier", "id", "kind", "name", "note", "sizeBytes", "sourceServerId", "status", "storedBytes", "updatedAt") SELECT "accountId", "activeDeployCount", "configuration", "createdAt", "globalIdentifier", "id", "kind", "name", "note", "sizeBytes", "sourceServerId", "status", "storedBytes", "updatedAt" FROM "ImageTemplate";
DROP TABLE "ImageTemplate";
ALTER TABLE "new_ImageTemplate" RENAME TO "ImageTemplate";
CREATE UNIQUE INDEX "ImageTemplate_globalIdentifier_key" ON "ImageTemplate"("globalIdentifier");
CREATE INDEX "ImageTemplate_accountId_id_idx" ON "ImageTemplate"("accountId", "id");
CREATE INDEX "ImageTemplate_replacementId_idx" ON "ImageTemplate"("replacementId");
CREATE UNIQUE INDEX "ImageTemplate_accountId_name_key" ON "ImageTemplate"("accountId", "name");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

