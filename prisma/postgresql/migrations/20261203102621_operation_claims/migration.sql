-- AlterTable
ALTER TABLE "Operation" ADD COLUMN     "claim" INTEGER NOT NULL DEFAULT 0;

