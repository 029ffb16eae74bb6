-- AlterEnum
ALTER TYPE "OperationKind" ADD VALUE 'IMPORT_TEMPLATE';

-- CreateTable
CREATE TABLE "ImageUpload" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "sizeBytes" BIGINT,
    "receivedBytes" BIGINT NOT NULL DEFAULT 0,
    "operationId" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ImageUpload_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ImageUpload_operationId_key" ON "ImageUpload"("operationId");

-- CreateIndex
CREATE INDEX "ImageUpload_expiresAt_idx" ON "ImageUpload"("expiresAt");

-- AddForeignKey
ALTER TABLE "ImageUpload" ADD CONSTRAINT "ImageUpload_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

