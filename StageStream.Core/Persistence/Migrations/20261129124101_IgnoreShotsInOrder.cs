using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace StageStream.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class IgnoreShotsInOrder : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_Shots_Projects_ProjectId1",
                table: "Shots");

            migrationBuilder.DropIndex(
                name: "IX_Shots_ProjectId1",
                table: "Shots");

            migrationBuilder.DropColumn(
                name: "ProjectId1",
                table: "Shots");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ProjectId1",
                table: "Shots",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Shots_ProjectId1",
                table: "Shots",
                column: "ProjectId1");

            migrationBuilder.AddForeignKey(
                name: "FK_Shots_Projects_ProjectId1",
                table: "Shots",
                column: "ProjectId1",
                principalTable: "Projects",
                principalColumn: "Id");
        }
    }
}
