-- CreateEnum
CREATE TYPE "LocationStatus" AS ENUM ('COPYING', 'AVAILABLE', 'FAILED', 'REMOVING');

-- AlterTable
ALTER TABLE "ImageTemplateDatacenter" ADD COLUMN     "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "operationId" TEXT,
ADD COLUMN     "status" "LocationStatus" NOT NULL DEFAULT 'AVAILABLE',
ADD COLUMN     "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- Existing rows got the time of the migration; Prisma sets it from now on (@updatedAt).
ALTER TABLE "ImageTemplateDatacenter" ALTER COLUMN "updatedAt" DROP DEFAULT;

