-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "TemplateStatus" ADD VALUE 'DEPRECATED';
ALTER TYPE "TemplateStatus" ADD VALUE 'OBSOLETE';

-- AlterTable
ALTER TABLE "ImageTemplate" ADD COLUMN     "deploymentCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "deprecateAt" TIMESTAMP(3),
ADD COLUMN     "lastDeployedAt" TIMESTAMP(3),
ADD COLUMN     "obsoleteAt" TIMESTAMP(3),
ADD COLUMN     "protected" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "replacementId" TEXT;

-- CreateIndex
CREATE INDEX "ImageTemplate_replacementId_idx" ON "ImageTemplate"("replacementId");

-- AddForeignKey
ALTER TABLE "ImageTemplate" ADD CONSTRAINT "ImageTemplate_replacementId_fkey" FOREIGN KEY ("replacementId") REFERENCES "ImageTemplate"("id") ON DELETE SET NULL ON UPDATE CASCADE;

