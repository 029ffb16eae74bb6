-- AlterTable
ALTER TABLE "ImageTemplate" ADD COLUMN "family" TEXT;

-- CreateTable
CREATE TABLE "TemplateFamily" (
    "accountId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "keep" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "appliedAfterId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("accountId", "name"),
    CONSTRAINT "TemplateFamily_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "ImageTemplate_accountId_family_idx" ON "ImageTemplate"("accountId", "family");

