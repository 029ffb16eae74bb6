-- CreateTable
CREATE TABLE "ImageUpload" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "accountId" TEXT NOT NULL,
    "sizeBytes" BIGINT,
    "receivedBytes" BIGINT NOT NULL DEFAULT 0,
    "operationId" TEXT,
    "expiresAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ImageUpload_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "ImageUpload_operationId_key" ON "ImageUpload"("operationId");

-- CreateIndex
CREATE INDEX "ImageUpload_expiresAt_idx" ON "ImageUpload"("expiresAt");

