using System.Text.Json.Nodes;
using StageStream.Core.Providers;
using StageStream.Tests.Infrastructure;
using static StageStream.Tests.OpenAI.FakeVendorServer;

namespace StageStream.Tests.OpenAI;

/// <summary>The openai narration voice against a stand-in speaking <c>/audio/speech</c> over real HTTP.</summary>
public sealed class VoiceProviderTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("stagestream-voice-");

    [Fact]
    public async Task SendsModelVoiceAndTextAndStoresTheSpeechAsWav()
    {
        await using var server = await StartAsync();
        // A quarter second of silence, then 0.8 s of tone: what is stored is the speech, trimmed.
        var tone = Media.ToneWav(0.8, 220);
        server.SpeechBytes = Media.ToneWav(0.25, 220, amplitude: 0).Take(44).Concat(new byte[12000]).Concat(tone.Skip(44)).ToArray();
        FixHeader(server.SpeechBytes);
        await using var host = ProviderHost.Start(server);
        var output = Path.Combine(_folder.FullName, "voice.wav");

        var seconds = await host.Provider<IVoiceProvider>().SpeakAsync(new SpeechRequest("灯塔亮了。The lamp is lit.", "nova", "fake-tts", output), CancellationToken.None);

        var request = JsonNode.Parse(server.Requests.Single(r => r.Path == "/v1/audio/speech").Body)!;
        Assert.Equal("fake-tts", request["model"]!.ToString());
        Assert.Equal("nova", request["voice"]!.ToString());
        Assert.Equal("灯塔亮了。The lamp is lit.", request["input"]!.ToString());
        Assert.Equal("wav", request["response_format"]!.ToString());
        Assert.Equal("Bearer " + ApiKey, server.Requests.Single(r => r.Path == "/v1/audio/speech").Authorization);
        Assert.InRange(seconds, 0.7, 0.9);
        Assert.InRange(await Media.DurationAsync(output), 0.7, 0.9);
    }

    [Fact]
    public async Task WithoutAVoiceOrModelTheDefaultsAreAskedFor()
    {
        await using var server = await StartAsync();
        server.SpeechBytes = Media.ToneWav(0.5, 300);
        await using var host = ProviderHost.Start(server);

        await host.Provider<IVoiceProvider>().SpeakAsync(new SpeechRequest("Hello.", null, null, Path.Combine(_folder.FullName, "v.wav")), CancellationToken.None);

        var request = JsonNode.Parse(server.Requests.Single(r => r.Path == "/v1/audio/speech").Body)!;
        Assert.Equal("gpt-4o-mini-tts", request["model"]!.ToString());
        Assert.Equal("alloy", request["voice"]!.ToString());
    }

    [Fact]
    public async Task ARejectedKeyIsAClearError()
    {
        await using var server = await StartAsync();
        await using var host = ProviderHost.Start(server, new Dictionary<string, string?> { ["Providers:OpenAI:ApiKey"] = "sk-wrong-key-123456" });
        var output = Path.Combine(_folder.FullName, "never.wav");

        var error = await Assert.ThrowsAsync<MissingDependencyException>(() =>
            host.Provider<IVoiceProvider>().SpeakAsync(new SpeechRequest("Hello.", null, null, output), CancellationToken.None));

        Assert.Contains("rejected (401)", error.Message);
        Assert.Contains("Providers:OpenAI:ApiKey", error.Message);
        Assert.DoesNotContain("sk-wrong-key-123456", error.Message);
        Assert.False(File.Exists(output));
    }

    /// <summary>Sets the RIFF and data sizes of a WAV whose data part was lengthened.</summary>
    private static void FixHeader(byte[] wav)
    {
        BitConverter.TryWriteBytes(wav.AsSpan(4), wav.Length - 8);
        BitConverter.TryWriteBytes(wav.AsSpan(40), wav.Length - 44);
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
