-- AlterTable
ALTER TABLE "Server" ADD COLUMN     "host" TEXT;

-- CreateTable
CREATE TABLE "ComputeHost" (
    "name" TEXT NOT NULL,
    "hypervisor" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "heartbeatAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ComputeHost_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "Server_host_idx" ON "Server"("host");

