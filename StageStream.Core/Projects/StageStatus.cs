namespace StageStream.Core.Projects;

/// <summary>
/// The status of a stage run, as the database, the API, the events and the pages know it (lower case on the wire).
/// <see cref="Skipped"/> and <see cref="Interrupted"/> are only ever said in events: a skipped stage stays
/// completed, and an interrupted run's stage is queued again at once.
/// </summary>
public enum StageStatus { Pending, Queued, Processing, Completed, Failed, Skipped, Cancelled, Interrupted }

/// <summary>Which status may follow which, and what each means, in one place.</summary>
public static class StageStatuses
{
    private static readonly Dictionary<StageStatus, StageStatus[]> Next = new()
    {
        [StageStatus.Pending] = [StageStatus.Queued],
        [StageStatus.Queued] = [StageStatus.Processing, StageStatus.Cancelled, StageStatus.Failed],
        [StageStatus.Processing] = [StageStatus.Completed, StageStatus.Failed, StageStatus.Cancelled, StageStatus.Interrupted],
        [StageStatus.Interrupted] = [StageStatus.Queued, StageStatus.Failed],
        // A finished stage runs again, or goes back to pending when the input it was made from changed.
        [StageStatus.Completed] = [StageStatus.Queued, StageStatus.Pending],
        [StageStatus.Failed] = [StageStatus.Queued, StageStatus.Pending],
        [StageStatus.Cancelled] = [StageStatus.Queued, StageStatus.Pending],
        [StageStatus.Skipped] = [StageStatus.Queued, StageStatus.Pending],
    };

    public static bool CanMove(StageStatus from, StageStatus to) => from == to || Next[from].Contains(to);

    /// <summary>Queued or processing: something is, or is about to be, at work on the stage.</summary>
    public static bool IsActive(this StageStatus status) => status is StageStatus.Queued or StageStatus.Processing;

    /// <summary>The run is over, however it ended.</summary>
    public static bool IsFinal(this StageStatus status) =>
        status is StageStatus.Completed or StageStatus.Failed or StageStatus.Cancelled or StageStatus.Skipped or StageStatus.Interrupted;

    public static string ToWire(this StageStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>A status from its wire form (an event's or the API's <c>status</c>); null for anything else (e.g. the pipeline's <c>running</c>).</summary>
    public static StageStatus? Parse(string? wire) =>
        Enum.TryParse<StageStatus>(wire, ignoreCase: true, out var status) && wire == status.ToWire() ? status : null;

    /// <summary>Moves a stage to <paramref name="to"/>, refusing a move the rules do not allow (a bug, never a user error).</summary>
    public static void MoveTo(this StageRecord record, StageStatus to)
    {
        if (!CanMove(record.Status, to))
        {
            throw new InvalidOperationException($"Stage '{record.Stage}' cannot go from {record.Status.ToWire()} to {to.ToWire()}.");
        }
        record.Status = to;
    }
}
