-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Chunk" (
    "store" TEXT NOT NULL DEFAULT 'default',
    "hash" TEXT NOT NULL,
    "sizeBytes" INTEGER NOT NULL,
    "storedBytes" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "damagedAt" DATETIME,

    PRIMARY KEY ("store", "hash")
);
INSERT INTO "new_Chunk" ("createdAt", "damagedAt", "hash", "sizeBytes", "storedBytes") SELECT "createdAt", "damagedAt", "hash", "sizeBytes", "storedBytes" FROM "Chunk";
DROP TABLE "Chunk";
ALTER TABLE "new_Chunk" RENAME TO "Chunk";
CREATE TABLE "new_TemplateChunk" (
    "templateId" TEXT NOT NULL,
    "store" TEXT NOT NULL DEFAULT 'default',
    "hash" TEXT NOT NULL,

    PRIMARY KEY ("templateId", "store", "hash"),
    CONSTRAINT "TemplateChunk_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "ImageTemplate" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TemplateChunk_store_hash_fkey" FOREIGN KEY ("store", "hash") REFERENCES "Chunk" ("store", "hash") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_TemplateChunk" ("hash", "templateId") SELECT "hash", "templateId" FROM "TemplateChunk";
DROP TABLE "TemplateChunk";
ALTER TABLE "new_TemplateChunk" RENAME TO "TemplateChunk";
CREATE INDEX "TemplateChunk_store_hash_idx" ON "TemplateChunk"("store", "hash");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

