using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace StageStream.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Events",
                columns: table => new
                {
                    ProjectId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Id = table.Column<long>(type: "bigint", nullable: false),
                    RunId = table.Column<string>(type: "text", nullable: false),
                    PipelineRunId = table.Column<string>(type: "text", nullable: true),
                    Stage = table.Column<string>(type: "text", nullable: false),
                    Type = table.Column<string>(type: "text", nullable: false),
                    Timestamp = table.Column<double>(type: "double precision", nullable: false),
                    Payload = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Events", x => new { x.ProjectId, x.Id });
                });

            migrationBuilder.CreateTable(
                name: "Projects",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    OriginalText = table.Column<string>(type: "text", nullable: false),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedAt = table.Column<long>(type: "bigint", nullable: false),
                    RewrittenText = table.Column<string>(type: "text", nullable: true),
                    RewriteProvider = table.Column<string>(type: "text", nullable: true),
                    FinalVideoPath = table.Column<string>(type: "text", nullable: true),
                    SubtitlesSrtPath = table.Column<string>(type: "text", nullable: true),
                    SubtitlesVttPath = table.Column<string>(type: "text", nullable: true),
                    AspectRatio = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false, defaultValue: "16:9"),
                    TargetSeconds = table.Column<int>(type: "integer", nullable: true),
                    TargetShots = table.Column<int>(type: "integer", nullable: true),
                    BurnSubtitles = table.Column<bool>(type: "boolean", nullable: false),
                    Voice = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    VoiceModel = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    MusicPath = table.Column<string>(type: "text", nullable: true),
                    PipelineRunId = table.Column<string>(type: "text", nullable: true),
                    PipelineForce = table.Column<bool>(type: "boolean", nullable: false),
                    CancelRequested = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Projects", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Shots",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ProjectId = table.Column<string>(type: "character varying(64)", nullable: false),
                    Sequence = table.Column<int>(type: "integer", nullable: false),
                    Narration = table.Column<string>(type: "text", nullable: false),
                    VisualPrompt = table.Column<string>(type: "text", nullable: false),
                    ShotType = table.Column<string>(type: "text", nullable: false),
                    DurationSeconds = table.Column<double>(type: "double precision", nullable: false),
                    DurationFixed = table.Column<bool>(type: "boolean", nullable: false),
                    VoicePath = table.Column<string>(type: "text", nullable: true),
                    VoiceProvider = table.Column<string>(type: "text", nullable: true),
                    SpeechSeconds = table.Column<double>(type: "double precision", nullable: true),
                    ImagePath = table.Column<string>(type: "text", nullable: true),
                    ImageProvider = table.Column<string>(type: "text", nullable: true),
                    CameraMove = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    CameraDescription = table.Column<string>(type: "text", nullable: true),
                    CameraProvider = table.Column<string>(type: "text", nullable: true),
                    ClipPath = table.Column<string>(type: "text", nullable: true),
                    ClipProvider = table.Column<string>(type: "text", nullable: true),
                    Error = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Shots", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Shots_Projects_ProjectId",
                        column: x => x.ProjectId,
                        principalTable: "Projects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Stages",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ProjectId = table.Column<string>(type: "character varying(64)", nullable: false),
                    Stage = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Progress = table.Column<int>(type: "integer", nullable: false),
                    Error = table.Column<string>(type: "text", nullable: true),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    StartedAt = table.Column<long>(type: "bigint", nullable: true),
                    FinishedAt = table.Column<long>(type: "bigint", nullable: true),
                    RunId = table.Column<string>(type: "text", nullable: true),
                    PipelineRunId = table.Column<string>(type: "text", nullable: true),
                    Force = table.Column<bool>(type: "boolean", nullable: false),
                    JobId = table.Column<string>(type: "text", nullable: true),
                    Provider = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Stages", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Stages_Projects_ProjectId",
                        column: x => x.ProjectId,
                        principalTable: "Projects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Projects_CreatedAt",
                table: "Projects",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Shots_ProjectId_Sequence",
                table: "Shots",
                columns: new[] { "ProjectId", "Sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_Stages_ProjectId_Stage",
                table: "Stages",
                columns: new[] { "ProjectId", "Stage" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Stages_Status",
                table: "Stages",
                column: "Status");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Events");

            migrationBuilder.DropTable(
                name: "Shots");

            migrationBuilder.DropTable(
                name: "Stages");

            migrationBuilder.DropTable(
                name: "Projects");
        }
    }
}
