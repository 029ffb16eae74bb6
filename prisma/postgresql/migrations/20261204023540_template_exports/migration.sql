-- CreateEnum
CREATE TYPE "ExportFormat" AS ENUM ('BUNDLE');

-- AlterEnum
ALTER TYPE "OperationKind" ADD VALUE 'EXPORT_TEMPLATE';

-- CreateTable
CREATE TABLE "TemplateExport" (
    "operationId" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "format" "ExportFormat" NOT NULL,
    "sizeBytes" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TemplateExport_pkey" PRIMARY KEY ("operationId")
);

-- CreateIndex
CREATE INDEX "TemplateExport_expiresAt_idx" ON "TemplateExport"("expiresAt");

-- AddForeignKey
ALTER TABLE "TemplateExport" ADD CONSTRAINT "TemplateExport_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

