using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace StageStream.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class StageJobs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "LeaseUntil",
                table: "Stages");

            migrationBuilder.DropColumn(
                name: "Owner",
                table: "Stages");

            migrationBuilder.AddColumn<string>(
                name: "JobId",
                table: "Stages",
                type: "TEXT",
                nullable: true);

            // A run queued or running before the persistent job store gets its job at start-up, named after the run.
            migrationBuilder.Sql("UPDATE Stages SET JobId = RunId WHERE Status IN ('Queued', 'Processing');");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "JobId",
                table: "Stages");

            migrationBuilder.AddColumn<string>(
                name: "Owner",
                table: "Stages",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LeaseUntil",
                table: "Stages",
                type: "INTEGER",
                nullable: true);
        }
    }
}
