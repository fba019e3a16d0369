#!/usr/bin/env bash
# Adds an EF Core migration for both databases StageStream supports, from the model in StageStream.Core:
#   SQLite      -> StageStream.Core/Persistence/Migrations
#   PostgreSQL  -> StageStream.Migrations.Postgres/Migrations
# then checks that neither provider has model changes left without a migration.
# Usage: scripts/add-migration.sh Name
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/add-migration.sh MigrationName}
dotnet tool restore >/dev/null
(cd StageStream.Core && dotnet ef migrations add "$name" --output-dir Persistence/Migrations)
(cd StageStream.Migrations.Postgres && dotnet ef migrations add "$name" --output-dir Migrations)
for project in StageStream.Core StageStream.Migrations.Postgres; do
  (cd "$project" && dotnet ef migrations has-pending-model-changes --no-build)
done
