using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace StageStream.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class StageStartedBy : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "StartedBy",
                table: "Stages",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "StartedBy",
                table: "Stages");
        }
    }
}
