-- AlterTable
ALTER TABLE "Server" ADD COLUMN "idempotencyKey" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "Server_accountId_idempotencyKey_key" ON "Server"("accountId", "idempotencyKey");

