using StageStream.Core.Projects;

namespace StageStream.Tests.Foundation;

public sealed class StageStatusTests
{
    [Theory]
    [InlineData(StageStatus.Pending, StageStatus.Queued, true)]
    [InlineData(StageStatus.Queued, StageStatus.Processing, true)]
    [InlineData(StageStatus.Processing, StageStatus.Interrupted, true)]
    [InlineData(StageStatus.Interrupted, StageStatus.Queued, true)]
    [InlineData(StageStatus.Completed, StageStatus.Pending, true)]
    [InlineData(StageStatus.Pending, StageStatus.Completed, false)]
    [InlineData(StageStatus.Completed, StageStatus.Processing, false)]
    [InlineData(StageStatus.Queued, StageStatus.Completed, false)]
    [InlineData(StageStatus.Processing, StageStatus.Queued, false)]
    public void OnlyTheAllowedTransitionsAreAllowed(StageStatus from, StageStatus to, bool allowed) =>
        Assert.Equal(allowed, StageStatuses.CanMove(from, to));

    [Fact]
    public void AMoveTheRulesDoNotAllowIsRefusedAndChangesNothing()
    {
        var record = new StageRecord { ProjectId = "p", Stage = StageNames.Rewrite, Status = StageStatus.Completed };
        var error = Assert.Throws<InvalidOperationException>(() => record.MoveTo(StageStatus.Processing));
        Assert.Contains("from completed to processing", error.Message);
        Assert.Equal(StageStatus.Completed, record.Status);
        record.MoveTo(StageStatus.Queued);
        Assert.Equal(StageStatus.Queued, record.Status);
    }

    [Fact]
    public void WireFormsParseBackAndOthersDoNot()
    {
        foreach (var status in Enum.GetValues<StageStatus>())
        {
            Assert.Equal(status, StageStatuses.Parse(status.ToWire()));
        }
        Assert.Null(StageStatuses.Parse("running"));
        Assert.Null(StageStatuses.Parse("Completed"));
        Assert.Null(StageStatuses.Parse(null));
    }
}
