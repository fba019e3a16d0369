using System.ComponentModel.DataAnnotations;

namespace StageStream.Web.Access;

/// <summary>Access control (section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";
    public const string Accounts = "accounts";
    public const string None = "none";

    /// <summary>
    /// <c>accounts</c> (the default): people sign in and see only their own projects. <c>none</c>: no accounts, everything
    /// open to whoever reaches the port, for a trusted machine.
    /// </summary>
    [RegularExpression("^(accounts|none)$", ErrorMessage = "Auth:Mode must be 'accounts' or 'none'.")]
    public string Mode { get; set; } = Accounts;

    /// <summary>How long a stream token (<c>?access_token=</c> for EventSource clients) is accepted.</summary>
    [Range(1, 24 * 60)]
    public int StreamTokenMinutes { get; set; } = 10;

    /// <summary>Failed sign-ins in a row that lock an account, and for how long.</summary>
    [Range(1, 100)]
    public int MaxFailedSignIns { get; set; } = 5;

    [Range(1, 24 * 60)]
    public int LockoutMinutes { get; set; } = 15;

    public bool Enabled => Mode == Accounts;
}
