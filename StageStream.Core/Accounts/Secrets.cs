using System.Security.Cryptography;
using System.Text;

namespace StageStream.Core.Accounts;

/// <summary>Random bearer secrets (API keys, share links) and the hash they are stored and looked up by.</summary>
public static class Secrets
{
    public const string ApiKeyPrefix = "ssk_";
    public const string SharePrefix = "shr_";

    /// <summary>32 random bytes, URL-safe, after a prefix that says what the secret is.</summary>
    public static string New(string prefix) =>
        prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>SHA-256 in hex: enough for a 256-bit random secret, and an index lookup rather than a scan.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
