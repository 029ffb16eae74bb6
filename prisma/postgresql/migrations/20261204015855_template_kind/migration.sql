-- Every template so far was STANDARD (the old "type" column never held anything else), so the
-- new column's default keeps them as they were.
-- CreateEnum
CREATE TYPE "ImageTemplateKind" AS ENUM ('STANDARD', 'FLEX');

-- AlterTable
ALTER TABLE "ImageTemplate" DROP COLUMN "type",
ADD COLUMN     "kind" "ImageTemplateKind" NOT NULL DEFAULT 'STANDARD';

