-- DropForeignKey
ALTER TABLE "TemplateChunk" DROP CONSTRAINT "TemplateChunk_hash_fkey";

-- DropIndex
DROP INDEX "TemplateChunk_hash_idx";

-- AlterTable
ALTER TABLE "Chunk" DROP CONSTRAINT "Chunk_pkey",
ADD COLUMN     "store" TEXT NOT NULL DEFAULT 'default',
ADD CONSTRAINT "Chunk_pkey" PRIMARY KEY ("store", "hash");

-- AlterTable
ALTER TABLE "TemplateChunk" DROP CONSTRAINT "TemplateChunk_pkey",
ADD COLUMN     "store" TEXT NOT NULL DEFAULT 'default',
ADD CONSTRAINT "TemplateChunk_pkey" PRIMARY KEY ("templateId", "store", "hash");

-- CreateIndex
CREATE INDEX "TemplateChunk_store_hash_idx" ON "TemplateChunk"("store", "hash");

-- AddForeignKey
ALTER TABLE "TemplateChunk" ADD CONSTRAINT "TemplateChunk_store_hash_fkey" FOREIGN KEY ("store", "hash") REFERENCES "Chunk"("store", "hash") ON DELETE RESTRICT ON UPDATE CASCADE;

