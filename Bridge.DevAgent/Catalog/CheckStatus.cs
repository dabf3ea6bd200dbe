namespace Bridge.DevAgent.Catalog;

/// <summary>The health states Consul stores for a check (<c>structs.ValidStatus</c>).</summary>
public enum CheckStatus
{
    /// <summary><c>passing</c></summary>
    Passing,

    /// <summary><c>warning</c></summary>
    Warning,

    /// <summary><c>critical</c></summary>
    Critical,
}

internal static class CheckStatuses
{
    public const string Passing = "passing";
    public const string Warning = "warning";
    public const string Critical = "critical";

    public static string ToConsul(this CheckStatus status) => status switch
    {
        CheckStatus.Passing => Passing,
        CheckStatus.Warning => Warning,
        CheckStatus.Critical => Critical,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown check status."),
    };

    public static bool IsValid(string status) => status is Passing or Warning or Critical;
}
