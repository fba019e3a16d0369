#!/usr/bin/env bash
# Adds an EF Core migration named Name for each database StageStream supports whose migrations lag behind the
# model in StageStream.Core:
#   SQLite      -> StageStream.Core/Persistence/Migrations
#   PostgreSQL  -> StageStream.Migrations.Postgres/Migrations
# After a model change both get one; after merging a branch that added only SQLite's (`dotnet ef migrations add`
# in StageStream.Core), only PostgreSQL's is added. Ends by checking that neither has changes left.
# Usage: scripts/add-migration.sh Name
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/add-migration.sh MigrationName}
dotnet tool restore >/dev/null
dotnet build StageStream.Migrations.Postgres -c Debug -v q -nologo >/dev/null
add() { # project, output folder
  if (cd "$1" && dotnet ef migrations has-pending-model-changes --no-build >/dev/null 2>&1); then
    echo "$1: no model changes, no migration added"
  else
    (cd "$1" && dotnet ef migrations add "$name" --output-dir "$2")
  fi
}
add StageStream.Core Persistence/Migrations
add StageStream.Migrations.Postgres Migrations
for project in StageStream.Core StageStream.Migrations.Postgres; do
  (cd "$project" && dotnet ef migrations has-pending-model-changes)
done
