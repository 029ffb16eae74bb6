-- AlterTable
ALTER TABLE "Chunk" ADD COLUMN "damagedAt" DATETIME;

