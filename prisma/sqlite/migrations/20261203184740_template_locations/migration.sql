-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ImageTemplateDatacenter" (
    "templateId" TEXT NOT NULL,
    "datacenter" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'AVAILABLE',
    "operationId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("templateId", "datacenter"),
    CONSTRAINT "ImageTemplateDatacenter_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "ImageTemplate" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
-- Existing locations were deployable: AVAILABLE (the default), updated now.
INSERT INTO "new_ImageTemplateDatacenter" ("datacenter", "templateId", "updatedAt") SELECT "datacenter", "templateId", CURRENT_TIMESTAMP FROM "ImageTemplateDatacenter";
DROP TABLE "ImageTemplateDatacenter";
ALTER TABLE "new_ImageTemplateDatacenter" RENAME TO "ImageTemplateDatacenter";
CREATE INDEX "ImageTemplateDatacenter_datacenter_idx" ON "ImageTemplateDatacenter"("datacenter");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

