-- CreateTable
CREATE TABLE "Account" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "accountId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME,
    CONSTRAINT "ApiToken_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Server" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "accountId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "fqdn" TEXT NOT NULL,
    "datacenter" TEXT NOT NULL,
    "cpu" INTEGER NOT NULL,
    "memoryMb" INTEGER NOT NULL,
    "os" TEXT NOT NULL,
    "powerState" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "activeOperationId" TEXT,
    "networkOrdinal" INTEGER,
    "privateIpv4" TEXT,
    "publicIpv4" TEXT,
    "macAddress" TEXT,
    "sourceImageTemplateId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Server_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Server_sourceImageTemplateId_fkey" FOREIGN KEY ("sourceImageTemplateId") REFERENCES "ImageTemplate" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Volume" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "serverId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "role" TEXT NOT NULL,
    "capacityGb" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Volume_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "Server" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ImageTemplate" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "accountId" TEXT NOT NULL,
    "globalIdentifier" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "note" TEXT NOT NULL DEFAULT '',
    "type" TEXT NOT NULL DEFAULT 'STANDARD',
    "status" TEXT NOT NULL,
    "sourceServerId" TEXT,
    "configuration" TEXT NOT NULL DEFAULT '{}',
    "sizeBytes" BIGINT NOT NULL DEFAULT 0,
    "storedBytes" BIGINT NOT NULL DEFAULT 0,
    "activeDeployCount" INTEGER NOT NULL DEFAULT 0,
    "idempotencyKey" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "ImageTemplate_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ImageTemplate_sourceServerId_fkey" FOREIGN KEY ("sourceServerId") REFERENCES "Server" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Operation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "accountId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "step" TEXT NOT NULL DEFAULT '',
    "progress" REAL NOT NULL DEFAULT 0,
    "bytesDone" BIGINT NOT NULL DEFAULT 0,
    "bytesTotal" BIGINT NOT NULL DEFAULT 0,
    "throughput" REAL NOT NULL DEFAULT 0,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "input" TEXT NOT NULL DEFAULT '{}',
    "undo" TEXT NOT NULL DEFAULT '{}',
    "serverId" TEXT,
    "imageTemplateId" TEXT,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "ownerId" TEXT,
    "heartbeatAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Operation_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Operation_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "Server" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Operation_imageTemplateId_fkey" FOREIGN KEY ("imageTemplateId") REFERENCES "ImageTemplate" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

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
CREATE UNIQUE INDEX "ImageTemplate_accountId_idempotencyKey_key" ON "ImageTemplate"("accountId", "idempotencyKey");

-- CreateIndex
CREATE INDEX "Operation_accountId_id_idx" ON "Operation"("accountId", "id");

-- CreateIndex
CREATE INDEX "Operation_status_id_idx" ON "Operation"("status", "id");

-- CreateIndex
CREATE INDEX "Operation_serverId_id_idx" ON "Operation"("serverId", "id");

-- CreateIndex
CREATE INDEX "Operation_imageTemplateId_id_idx" ON "Operation"("imageTemplateId", "id");

