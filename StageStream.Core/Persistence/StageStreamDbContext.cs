using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using StageStream.Core.Accounts;
using StageStream.Core.Events.Log;
using StageStream.Core.Projects;

namespace StageStream.Core.Persistence;

public sealed class StageStreamDbContext(DbContextOptions<StageStreamDbContext> options) : IdentityDbContext<AppUser>(options), IDataProtectionKeyContext
{
    public DbSet<Project> Projects => Set<Project>();
    public DbSet<StageRecord> Stages => Set<StageRecord>();
    public DbSet<Shot> Shots => Set<Shot>();

    /// <summary>Every finished stage run: a project's run history and this machine's timings.</summary>
    public DbSet<StageRun> StageRuns => Set<StageRun>();

    /// <summary>The durable event log (the default transport's store): every published event, pruned by retention.</summary>
    public DbSet<StoredEvent> Events => Set<StoredEvent>();

    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<ShareLink> ShareLinks => Set<ShareLink>();
    public DbSet<AuditEntry> Audit => Set<AuditEntry>();

    /// <summary>The keys that sign cookies, stream tokens and share links: in the database, so every host of a cluster shares them.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>A project with its stages and shots, tracked for changes.</summary>
    public Task<Project?> FindProjectAsync(string id, CancellationToken cancellationToken) =>
        Projects.Include(p => p.Stages).Include(p => p.Shots).AsSplitQuery()
            .FirstOrDefaultAsync(p => p.Id == id, cancellationToken);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // Users, roles and their links (ASP.NET Core Identity).
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<IdentityRole>().HasData(Accounts.Roles.All.Select(role =>
            new IdentityRole { Id = role, Name = role, NormalizedName = role.ToUpperInvariant(), ConcurrencyStamp = role }));
        modelBuilder.Entity<Project>(project =>
        {
            project.HasKey(p => p.Id);
            project.Property(p => p.Id).HasMaxLength(64);
            project.Property(p => p.Name).HasMaxLength(200);
            project.Property(p => p.Status).HasConversion<string>().HasMaxLength(16);
            project.Property(p => p.AspectRatio).HasMaxLength(8).HasDefaultValue(AspectRatios.Landscape);
            project.Property(p => p.Voice).HasMaxLength(100);
            project.Property(p => p.VoiceModel).HasMaxLength(100);
            // Two requests starting a pipeline at once: the second one's save fails instead of replacing the first's run.
            project.Property(p => p.PipelineRunId).IsConcurrencyToken();
            project.HasMany(p => p.Stages).WithOne().HasForeignKey(s => s.ProjectId).OnDelete(DeleteBehavior.Cascade);
            project.HasMany(p => p.Shots).WithOne().HasForeignKey(s => s.ProjectId).OnDelete(DeleteBehavior.Cascade);
            project.HasMany<StageRun>().WithOne().HasForeignKey(r => r.ProjectId).OnDelete(DeleteBehavior.Cascade);
            project.HasIndex(p => p.CreatedAt);
            project.Property(p => p.OwnerId).HasMaxLength(450);
            project.HasIndex(p => p.OwnerId);
            project.HasIndex(p => p.Status);
            project.Ignore(p => p.ShotsInOrder);
        });
        modelBuilder.Entity<StageRecord>(stage =>
        {
            stage.HasKey(s => s.Id);
            stage.Property(s => s.Stage).HasMaxLength(32);
            stage.Property(s => s.StartedBy).HasMaxLength(200);
            // Status changes race (a cancel against the runner, two starts at once): the later save of a stale status fails.
            stage.Property(s => s.Status).HasConversion<string>().HasMaxLength(16).IsConcurrencyToken();
            stage.HasIndex(s => new { s.ProjectId, s.Stage }).IsUnique();
            stage.HasIndex(s => s.Status);
        });
        modelBuilder.Entity<Shot>(shot =>
        {
            shot.HasKey(s => s.Id);
            shot.Property(s => s.CameraMove).HasConversion<string>().HasMaxLength(16);
            shot.HasIndex(s => new { s.ProjectId, s.Sequence });
        });
        modelBuilder.Entity<StageRun>(run =>
        {
            run.HasKey(r => r.Id);
            run.Property(r => r.Stage).HasMaxLength(32);
            run.Property(r => r.RunId).HasMaxLength(64);
            run.Property(r => r.StartedBy).HasMaxLength(200);
            run.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
            run.Ignore(r => r.Duration);
            run.HasIndex(r => new { r.ProjectId, r.FinishedAt });
            // The estimates read the latest completed runs of a stage.
            run.HasIndex(r => new { r.Stage, r.Status, r.FinishedAt });
        });
        modelBuilder.Entity<StoredEvent>(stored =>
        {
            // The key is the index every read, replay and id lookup goes by: one project's events in id order.
            stored.HasKey(e => new { e.ProjectId, e.Id });
            stored.Property(e => e.Id).ValueGeneratedNever();
            stored.Property(e => e.ProjectId).HasMaxLength(64);
        });
        modelBuilder.Entity<ApiKey>(key =>
        {
            key.HasKey(k => k.Id);
            key.Property(k => k.Id).HasMaxLength(32);
            key.Property(k => k.Name).HasMaxLength(100);
            key.Property(k => k.Prefix).HasMaxLength(16);
            key.Property(k => k.Hash).HasMaxLength(64);
            key.HasIndex(k => k.Hash).IsUnique();
            key.HasIndex(k => k.UserId);
            key.HasOne<AppUser>().WithMany().HasForeignKey(k => k.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<ShareLink>(share =>
        {
            share.HasKey(s => s.Id);
            share.Property(s => s.Id).HasMaxLength(32);
            share.Property(s => s.Hash).HasMaxLength(64);
            share.HasIndex(s => s.Hash).IsUnique();
            share.HasIndex(s => s.ProjectId);
            share.HasOne<Project>().WithMany().HasForeignKey(s => s.ProjectId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<AuditEntry>(entry =>
        {
            entry.HasKey(e => e.Id);
            entry.Property(e => e.Action).HasMaxLength(32);
            entry.Property(e => e.UserName).HasMaxLength(256);
            entry.Property(e => e.ProjectId).HasMaxLength(64);
            entry.Property(e => e.Detail).HasMaxLength(1000);
            entry.HasIndex(e => e.At);
        });
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot order or compare DateTimeOffset; store UTC ticks, which sort correctly.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
    }
}
