-- CreateEnum
CREATE TYPE "RetentionAction" AS ENUM ('DEPRECATE', 'DELETE');

-- AlterTable
ALTER TABLE "ImageTemplate" ADD COLUMN     "family" TEXT;

-- CreateTable
CREATE TABLE "TemplateFamily" (
    "accountId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "keep" INTEGER NOT NULL,
    "action" "RetentionAction" NOT NULL,
    "appliedAfterId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TemplateFamily_pkey" PRIMARY KEY ("accountId","name")
);

-- CreateIndex
CREATE INDEX "ImageTemplate_accountId_family_idx" ON "ImageTemplate"("accountId", "family");

-- AddForeignKey
ALTER TABLE "TemplateFamily" ADD CONSTRAINT "TemplateFamily_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

