namespace StageStream.Core.Events;

/// <summary>
/// The event log cannot be read right now (its store, e.g. Redis, is unreachable). Transient and
/// transport-neutral: the caller should subscribe again shortly, not treat it as a failed request.
/// </summary>
public sealed class EventLogUnavailableException(string message, Exception? innerException = null)
    : Exception(message, innerException);
