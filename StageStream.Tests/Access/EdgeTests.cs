using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using StageStream.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StageStream.Tests.Access;

/// <summary>The app as a child process with accounts on and small rate limits, set up through its own endpoints.</summary>
public sealed class EdgeApp : IAsyncLifetime
{
    public const int Burst = 4;
    public const int WindowSeconds = 2;

    private readonly TempFolder _folder = new();

    public AppProcess App { get; private set; } = null!;
    public string Key { get; private set; } = "";
    public string ProjectId { get; private set; } = "";
    public string DataPath => _folder.Path;

    public async Task InitializeAsync()
    {
        var port = FreePorts.Next();
        App = await AppProcess.StartAsync(_folder.Path, new Dictionary<string, string?>
        {
            // Also on this machine's other addresses, to be asked from beyond loopback.
            ["urls"] = $"http://0.0.0.0:{port}",
            ["Auth:Mode"] = "accounts",
            ["RateLimits:Enabled"] = "true",
            ["RateLimits:WindowSeconds"] = WindowSeconds.ToString(),
            ["RateLimits:SignInPerMinute"] = Burst.ToString(),
            ["RateLimits:StreamsPerMinute"] = Burst.ToString(),
            ["RateLimits:CreatePerMinute"] = "1000",
            ["RateLimits:RunPerMinute"] = "1000",
        }, port);
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = App.BaseAddress };
        using var setup = await http.PostAsync("/auth/setup", new FormUrlEncodedContent(new Dictionary<string, string> { ["user_name"] = "owner", ["password"] = AccessApp.Password }));
        var cookie = setup.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("StageStream.Auth=", StringComparison.Ordinal)).Split(';')[0];
        using var keyRequest = new HttpRequestMessage(HttpMethod.Post, "/api/v1/keys") { Content = JsonContent.Create(new { name = "edge" }) };
        keyRequest.Headers.Add("Cookie", cookie);
        using var key = await http.SendAsync(keyRequest);
        Key = (await key.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        using var create = await Client().PostAsJsonAsync("/api/v1/projects", new { name = "Edge", original_text = "A story." });
        ProjectId = (await create.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// <summary>A client sending the owner's API key.</summary>
    public HttpClient Client(Uri? baseAddress = null)
    {
        var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = baseAddress ?? App.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return client;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        _folder.Dispose();
    }
}

/// <summary>What faces the network: rate limits, body limits, headers, health details, error details, input hygiene.</summary>
public sealed class EdgeTests(EdgeApp fixture, ITestOutputHelper output) : IClassFixture<EdgeApp>
{
    [Fact]
    public async Task EightParallel25MegabyteBodiesAreRefusedWith413WithoutTheMemoryToHoldThem()
    {
        using var client = fixture.Client();
        // Warm: the endpoint has answered once, so its code is loaded before the baseline.
        using (await client.PostAsJsonAsync("/api/v1/projects", new { name = "Warm", original_text = "A story." }))
        {
        }
        var before = Rss(fixture.App.ProcessId);
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostRawAsync(fixture.App.BaseAddress, "/api/v1/projects", 25 * 1024 * 1024, fixture.Key)));
        await Task.Delay(500);
        var after = Rss(fixture.App.ProcessId);
        output.WriteLine($"RSS {before / 1048576.0:0.0} MB before, {after / 1048576.0:0.0} MB after 8 x 25 MB bodies; sent {string.Join(", ", answers.Select(a => a.Sent / 1048576.0 + " MB"))}");
        foreach (var (status, body, _) in answers)
        {
            Assert.Equal(413, status);
            Assert.Contains("application/problem+json", body);
            Assert.Contains("at most 1,048,576 bytes", body);
        }
        Assert.True(after - before < 50L * 1024 * 1024, $"RSS grew by {(after - before) / 1048576.0:0.0} MB");
    }

    [Fact]
    public async Task ABurstOfSignInsOrStreamsGets429WithRetryAfterAndTheLimitRecovers()
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = fixture.App.BaseAddress };
        async Task<HttpResponseMessage> SignIn() => await http.PostAsync("/auth/signin",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["user_name"] = "nobody", ["password"] = "wrong-password" }));
        var statuses = new List<int>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < EdgeApp.Burst * 3; i++)
        {
            var response = await SignIn();
            statuses.Add((int)response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused ??= response;
            }
        }
        output.WriteLine("Sign-ins: " + string.Join(" ", statuses));
        Assert.Contains(429, statuses);
        Assert.True(statuses.Count(s => s == 302) <= EdgeApp.Burst * 2, "at most the limit per window went through");
        Assert.NotNull(refused);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, EdgeApp.WindowSeconds);
        Assert.Contains("sign-in attempts", await refused.Content.ReadAsStringAsync());
        await Task.Delay(TimeSpan.FromSeconds(retryAfter + 0.5));
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn()).StatusCode);

        // Opening streams, counted per API key.
        using var client = fixture.Client();
        var opened = new List<int>();
        for (var i = 0; i < EdgeApp.Burst * 3; i++)
        {
            using var stream = await client.GetAsync($"/api/v1/sse/projects/{fixture.ProjectId}/", HttpCompletionOption.ResponseHeadersRead);
            opened.Add((int)stream.StatusCode);
        }
        output.WriteLine("Streams: " + string.Join(" ", opened));
        Assert.Contains(429, opened);
        await Task.Delay(TimeSpan.FromSeconds(EdgeApp.WindowSeconds + 0.5));
        using var again = await client.GetAsync($"/api/v1/sse/projects/{fixture.ProjectId}/", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task PagesCarrySecurityHeadersAndTheImportMapCarriesTheNonce()
    {
        using var http = new HttpClient { BaseAddress = fixture.App.BaseAddress };
        using var response = await http.GetAsync("/account/signin");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("same-origin", response.Headers.GetValues("Referrer-Policy").Single());
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        var nonce = System.Text.RegularExpressions.Regex.Match(csp, "'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains($"<script type=\"importmap\" nonce=\"{nonce}\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task HealthDetailsOnlyReachThisMachineOrAnAdmin()
    {
        using var local = new HttpClient { BaseAddress = fixture.App.BaseAddress };
        var detailed = await local.GetFromJsonAsync<JsonElement>("/health");
        Assert.True(detailed.TryGetProperty("checks", out _));
        // What a reverse proxy on this machine passes on is not local.
        using var proxied = new HttpRequestMessage(HttpMethod.Get, "/health");
        proxied.Headers.Add("X-Forwarded-For", "203.0.113.7");
        var passedOn = await (await local.SendAsync(proxied)).Content.ReadAsStringAsync();
        Assert.DoesNotContain("checks", passedOn);
        Assert.Contains("\"status\"", passedOn);
        var outside = OtherAddress();
        if (outside is null)
        {
            output.WriteLine("This machine has no address but loopback: the remote half is skipped.");
            return;
        }
        var remote = new UriBuilder(fixture.App.BaseAddress) { Host = outside.ToString() }.Uri;
        using var anonymous = new HttpClient { BaseAddress = remote };
        foreach (var path in new[] { "/health", "/health/ready", "/health/live" })
        {
            var body = await anonymous.GetStringAsync(path);
            output.WriteLine($"{path} from {outside}: {body}");
            Assert.DoesNotContain("checks", body);
            Assert.DoesNotContain(fixture.DataPath, body);
            Assert.Contains("\"status\"", body);
        }
        using var admin = fixture.Client(remote);
        Assert.True((await admin.GetFromJsonAsync<JsonElement>("/health")).TryGetProperty("checks", out _));
    }

    [Theory]
    [InlineData("POST", "/api/v1/projects/{id}/pipeline/run?force=maybe", null, 400, "'force' cannot be 'maybe'")]
    [InlineData("POST", "/api/v1/projects", null, 400, "needs a JSON body")]
    [InlineData("GET", "/api/v1/projects/{id}/shots/abc", null, 404, "a shot's sequence is a whole number")]
    [InlineData("PUT", "/api/v1/projects/{id}", "{}", 405, "PUT is not allowed")]
    [InlineData("POST", "/api/v1/projects", "{\"name\":\"RTL \\u202Egnp.exe\",\"original_text\":\"x\"}", 400, "U+202E")]
    [InlineData("POST", "/api/v1/projects", "{\"name\":\"bell\\u0007\",\"original_text\":\"x\"}", 400, "U+0007")]
    [InlineData("POST", "/api/v1/projects", "{\"name\":\"nul\\u0000\",\"original_text\":\"x\"}", 400, "U+0000")]
    [InlineData("POST", "/api/v1/projects", "{\"name\":\"esc\",\"original_text\":\"\\u001B[31mred\"}", 400, "U+001B")]
    [InlineData("POST", "/api/v1/projects", "{\"name\":\"Lines\",\"original_text\":\"One.\\n\\tTwo.\\r\\nThree.\"}", 201, "\\n\\tTwo.")]
    public async Task EveryRefusalIsAProblemWithADetailInTheApisTerms(string method, string path, string? body, int status, string mentions)
    {
        using var client = fixture.Client();
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", fixture.ProjectId));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        output.WriteLine($"{(int)response.StatusCode} {text}");
        Assert.Equal(status, (int)response.StatusCode);
        if (status < 400)
        {
            Assert.Contains(mentions, text);
        }
        else
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(mentions, JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString());
            foreach (var internals in new[] { "Nullable", "Implicit body", "Microsoft.", "System." })
            {
                Assert.DoesNotContain(internals, text);
            }
        }
    }

    [Fact]
    public async Task MediaIsServedOnlyFromRegularFilesNeverThroughASymlink()
    {
        var folder = Directory.CreateDirectory(Path.Combine(fixture.DataPath, "media", fixture.ProjectId));
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, "frame.txt"), "frame");
        var outside = Path.Combine(fixture.DataPath, "secret.txt");
        await File.WriteAllTextAsync(outside, "secret");
        File.CreateSymbolicLink(Path.Combine(folder.FullName, "planted.txt"), outside);
        Directory.CreateSymbolicLink(Path.Combine(folder.FullName, "linked"), fixture.DataPath);
        using var client = fixture.Client();
        Assert.Equal("frame", await client.GetStringAsync($"/media/{fixture.ProjectId}/frame.txt"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/media/{fixture.ProjectId}/planted.txt")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/media/{fixture.ProjectId}/linked/secret.txt")).StatusCode);
    }

    /// <summary>Sends a body of <paramref name="length"/> bytes over a plain socket, reading the answer as it comes: the server may answer (and close) before the body is sent.</summary>
    private static async Task<(int Status, string Response, long Sent)> PostRawAsync(Uri baseAddress, string path, long length, string key)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port);
        var stream = tcp.GetStream();
        var head = $"POST {path} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var reading = ReadAnswerAsync(stream);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'a');
        long sent = 0;
        try
        {
            while (sent < length && !reading.IsCompleted)
            {
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, length - sent)));
                sent += chunk.Length;
            }
        }
        catch (IOException)
        {
            // The server answered and closed the connection: the rest of the body was never wanted.
        }
        var answer = await reading;
        return (int.Parse(answer.Split(' ')[1]), answer, sent);
    }

    private static async Task<string> ReadAnswerAsync(NetworkStream stream)
    {
        var buffer = new byte[16 * 1024];
        var text = new StringBuilder();
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer);
            }
            catch (IOException)
            {
                break;
            }
            if (read == 0)
            {
                break;
            }
            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
            if (text.ToString().Contains("\r\n0\r\n\r\n", StringComparison.Ordinal))
            {
                break;
            }
        }
        return text.ToString();
    }

    private static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
    }

    private static IPAddress? OtherAddress() =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
}
