-- AlterTable
ALTER TABLE "Server" ADD COLUMN "host" TEXT;

-- CreateTable
CREATE TABLE "ComputeHost" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "hypervisor" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "heartbeatAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "Server_host_idx" ON "Server"("host");

