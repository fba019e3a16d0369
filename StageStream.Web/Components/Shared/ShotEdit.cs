using StageStream.Web.Api;

namespace StageStream.Web.Components.Shared;

/// <summary>A storyboard row being edited: the text as loaded and as typed.</summary>
public sealed class ShotEdit(int sequence, string narration, string visualPrompt)
{
    public int Sequence { get; } = sequence;
    public (string Narration, string VisualPrompt) Original { get; } = (narration, visualPrompt);
    public string Narration { get; set; } = narration;
    public string VisualPrompt { get; set; } = visualPrompt;

    public bool Changed(ShotDto shot) => Narration != shot.Narration || VisualPrompt != shot.VisualPrompt;
}
