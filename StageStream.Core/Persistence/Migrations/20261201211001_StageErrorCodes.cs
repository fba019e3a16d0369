using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace StageStream.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class StageErrorCodes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ErrorCode",
                table: "Stages",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ErrorCode",
                table: "StageRuns",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ErrorCode",
                table: "Shots",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ErrorCode",
                table: "Stages");

            migrationBuilder.DropColumn(
                name: "ErrorCode",
                table: "StageRuns");

            migrationBuilder.DropColumn(
                name: "ErrorCode",
                table: "Shots");
        }
    }
}
