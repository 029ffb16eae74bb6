-- CreateTable
CREATE TABLE "TemplateVolume" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "templateId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "role" TEXT NOT NULL,
    "capacityGb" INTEGER NOT NULL,
    "lengthBytes" BIGINT NOT NULL,
    "dataBytes" BIGINT NOT NULL,
    "storedBytes" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "chunks" TEXT NOT NULL,
    CONSTRAINT "TemplateVolume_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "ImageTemplate" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Chunk" (
    "hash" TEXT NOT NULL PRIMARY KEY,
    "sizeBytes" INTEGER NOT NULL,
    "storedBytes" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "TemplateChunk" (
    "templateId" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    PRIMARY KEY ("templateId", "hash"),
    CONSTRAINT "TemplateChunk_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "ImageTemplate" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TemplateChunk_hash_fkey" FOREIGN KEY ("hash") REFERENCES "Chunk" ("hash") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ImageTemplateDatacenter" (
    "templateId" TEXT NOT NULL,
    "datacenter" TEXT NOT NULL,

    PRIMARY KEY ("templateId", "datacenter"),
    CONSTRAINT "ImageTemplateDatacenter_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "ImageTemplate" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "TemplateVolume_templateId_index_key" ON "TemplateVolume"("templateId", "index");

-- CreateIndex
CREATE INDEX "TemplateChunk_hash_idx" ON "TemplateChunk"("hash");

-- CreateIndex
CREATE INDEX "ImageTemplateDatacenter_datacenter_idx" ON "ImageTemplateDatacenter"("datacenter");

