using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace StageStream.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class FilmShapeVoiceSubtitlesMusic : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "DurationFixed",
                table: "Shots",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<double>(
                name: "SpeechSeconds",
                table: "Shots",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "VoicePath",
                table: "Shots",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "VoiceProvider",
                table: "Shots",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "AspectRatio",
                table: "Projects",
                type: "TEXT",
                maxLength: 8,
                nullable: false,
                defaultValue: "16:9");

            migrationBuilder.AddColumn<bool>(
                name: "BurnSubtitles",
                table: "Projects",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "MusicPath",
                table: "Projects",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SubtitlesSrtPath",
                table: "Projects",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SubtitlesVttPath",
                table: "Projects",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "TargetSeconds",
                table: "Projects",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "TargetShots",
                table: "Projects",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Voice",
                table: "Projects",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "VoiceModel",
                table: "Projects",
                type: "TEXT",
                maxLength: 100,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DurationFixed",
                table: "Shots");

            migrationBuilder.DropColumn(
                name: "SpeechSeconds",
                table: "Shots");

            migrationBuilder.DropColumn(
                name: "VoicePath",
                table: "Shots");

            migrationBuilder.DropColumn(
                name: "VoiceProvider",
                table: "Shots");

            migrationBuilder.DropColumn(
                name: "AspectRatio",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "BurnSubtitles",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "MusicPath",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "SubtitlesSrtPath",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "SubtitlesVttPath",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "TargetSeconds",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "TargetShots",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "Voice",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "VoiceModel",
                table: "Projects");
        }
    }
}
