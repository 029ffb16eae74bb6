-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('VIEWER', 'OPERATOR', 'ADMIN');

-- CreateEnum
CREATE TYPE "ServerKind" AS ENUM ('VIRTUAL', 'BARE_METAL');

-- CreateEnum
CREATE TYPE "ServerStatus" AS ENUM ('PROVISIONING', 'ACTIVE', 'CAPTURING', 'RELOADING', 'DELETING', 'FAILED');

-- CreateEnum
CREATE TYPE "PowerState" AS ENUM ('RUNNING', 'HALTED');

-- CreateEnum
CREATE TYPE "VolumeRole" AS ENUM ('BOOT', 'DATA', 'SWAP');

-- CreateEnum
CREATE TYPE "TemplateStatus" AS ENUM ('CAPTURING', 'ACTIVE', 'DAMAGED', 'FAILED', 'DELETING');

-- CreateEnum
CREATE TYPE "OperationKind" AS ENUM ('PROVISION', 'CAPTURE', 'DEPLOY', 'RELOAD', 'POWER_ON', 'POWER_OFF', 'DELETE_SERVER', 'DELETE_TEMPLATE', 'REPLICATE_TEMPLATE', 'VERIFY_TEMPLATE');

-- CreateEnum
CREATE TYPE "OperationStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateTable
CREATE TABLE "Account" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "tokenId" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "outcome" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "role" "Role" NOT NULL DEFAULT 'ADMIN',
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Server" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "kind" "ServerKind" NOT NULL,
    "hostname" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "fqdn" TEXT NOT NULL,
    "datacenter" TEXT NOT NULL,
    "cpu" INTEGER NOT NULL,
    "memoryMb" INTEGER NOT NULL,
    "os" TEXT NOT NULL,
    "powerState" "PowerState" NOT NULL,
    "status" "ServerStatus" NOT NULL,
    "activeOperationId" TEXT,
    "networkOrdinal" INTEGER,
    "privateIpv4" TEXT,
    "publicIpv4" TEXT,
    "macAddress" TEXT,
    "sourceImageTemplateId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Server_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Volume" (
    "id" TEXT NOT NULL,
    "serverId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "role" "VolumeRole" NOT NULL,
    "capacityGb" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Volume_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ImageTemplate" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "globalIdentifier" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "note" TEXT NOT NULL DEFAULT '',
    "type" TEXT NOT NULL DEFAULT 'STANDARD',
    "status" "TemplateStatus" NOT NULL,
    "sourceServerId" TEXT,
    "configuration" TEXT NOT NULL DEFAULT '{}',
    "sizeBytes" BIGINT NOT NULL DEFAULT 0,
    "storedBytes" BIGINT NOT NULL DEFAULT 0,
    "activeDeployCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ImageTemplate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Operation" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "kind" "OperationKind" NOT NULL,
    "status" "OperationStatus" NOT NULL,
    "step" TEXT NOT NULL DEFAULT '',
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "bytesDone" BIGINT NOT NULL DEFAULT 0,
    "bytesTotal" BIGINT NOT NULL DEFAULT 0,
    "throughput" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "input" TEXT NOT NULL DEFAULT '{}',
    "undo" TEXT NOT NULL DEFAULT '{}',
    "serverId" TEXT,
    "imageTemplateId" TEXT,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "ownerId" TEXT,
    "heartbeatAt" TIMESTAMP(3),
    "idempotencyKey" TEXT,
    "idempotencyFingerprint" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Operation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TemplateVolume" (
    "id" TEXT NOT NULL,
    "templateId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "role" "VolumeRole" NOT NULL,
    "capacityGb" INTEGER NOT NULL,
    "lengthBytes" BIGINT NOT NULL,
    "dataBytes" BIGINT NOT NULL,
    "storedBytes" BIGINT NOT NULL,
    "digest" TEXT NOT NULL,
    "chunks" TEXT NOT NULL,

    CONSTRAINT "TemplateVolume_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Chunk" (
    "hash" TEXT NOT NULL,
    "sizeBytes" INTEGER NOT NULL,
    "storedBytes" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "damagedAt" TIMESTAMP(3),

    CONSTRAINT "Chunk_pkey" PRIMARY KEY ("hash")
);

-- CreateTable
CREATE TABLE "TemplateChunk" (
    "templateId" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "TemplateChunk_pkey" PRIMARY KEY ("templateId","hash")
);

-- CreateTable
CREATE TABLE "ImageTemplateDatacenter" (
    "templateId" TEXT NOT NULL,
    "datacenter" TEXT NOT NULL,

    CONSTRAINT "ImageTemplateDatacenter_pkey" PRIMARY KEY ("templateId","datacenter")
);

-- CreateIndex
CREATE INDEX "AuditEvent_accountId_id_idx" ON "AuditEvent"("accountId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- CreateIndex
CREATE INDEX "ApiToken_accountId_idx" ON "ApiToken"("accountId");

-- CreateIndex
CREATE UNIQUE INDEX "Server_activeOperationId_key" ON "Server"("activeOperationId");

-- CreateIndex
CREATE INDEX "Server_accountId_id_idx" ON "Server"("accountId", "id");

-- CreateIndex
CREATE INDEX "Server_sourceImageTemplateId_idx" ON "Server"("sourceImageTemplateId");

-- CreateIndex
CREATE UNIQUE INDEX "Server_accountId_fqdn_key" ON "Server"("accountId", "fqdn");

-- CreateIndex
CREATE UNIQUE INDEX "Server_datacenter_networkOrdinal_key" ON "Server"("datacenter", "networkOrdinal");

-- CreateIndex
CREATE UNIQUE INDEX "Volume_serverId_index_key" ON "Volume"("serverId", "index");

-- CreateIndex
CREATE UNIQUE INDEX "ImageTemplate_globalIdentifier_key" ON "ImageTemplate"("globalIdentifier");

-- CreateIndex
CREATE INDEX "ImageTemplate_accountId_id_idx" ON "ImageTemplate"("accountId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "ImageTemplate_accountId_name_key" ON "ImageTemplate"("accountId", "name");

-- CreateIndex
CREATE INDEX "Operation_accountId_id_idx" ON "Operation"("accountId", "id");

-- CreateIndex
CREATE INDEX "Operation_status_id_idx" ON "Operation"("status", "id");

-- CreateIndex
CREATE INDEX "Operation_serverId_id_idx" ON "Operation"("serverId", "id");

-- CreateIndex
CREATE INDEX "Operation_imageTemplateId_id_idx" ON "Operation"("imageTemplateId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Operation_accountId_kind_idempotencyKey_key" ON "Operation"("accountId", "kind", "idempotencyKey");

-- CreateIndex
CREATE UNIQUE INDEX "TemplateVolume_templateId_index_key" ON "TemplateVolume"("templateId", "index");

-- CreateIndex
CREATE INDEX "TemplateChunk_hash_idx" ON "TemplateChunk"("hash");

-- CreateIndex
CREATE INDEX "ImageTemplateDatacenter_datacenter_idx" ON "ImageTemplateDatacenter"("datacenter");

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Server" ADD CONSTRAINT "Server_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Server" ADD CONSTRAINT "Server_sourceImageTemplateId_fkey" FOREIGN KEY ("sourceImageTemplateId") REFERENCES "ImageTemplate"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Volume" ADD CONSTRAINT "Volume_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "Server"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImageTemplate" ADD CONSTRAINT "ImageTemplate_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImageTemplate" ADD CONSTRAINT "ImageTemplate_sourceServerId_fkey" FOREIGN KEY ("sourceServerId") REFERENCES "Server"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Operation" ADD CONSTRAINT "Operation_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Operation" ADD CONSTRAINT "Operation_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "Server"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Operation" ADD CONSTRAINT "Operation_imageTemplateId_fkey" FOREIGN KEY ("imageTemplateId") REFERENCES "ImageTemplate"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateVolume" ADD CONSTRAINT "TemplateVolume_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "ImageTemplate"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateChunk" ADD CONSTRAINT "TemplateChunk_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "ImageTemplate"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateChunk" ADD CONSTRAINT "TemplateChunk_hash_fkey" FOREIGN KEY ("hash") REFERENCES "Chunk"("hash") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImageTemplateDatacenter" ADD CONSTRAINT "ImageTemplateDatacenter_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "ImageTemplate"("id") ON DELETE CASCADE ON UPDATE CASCADE;

